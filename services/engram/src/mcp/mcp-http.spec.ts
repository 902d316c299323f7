import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Client as SdkV1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as SdkV1HttpTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { callTool, CLIENT_KINDS, ClientKind, connectHttpClient, McpTestClient } from '../testing/mcp-client';
import { SQLITE_DATABASE } from '../storage/storage.module';
import { SqliteDatabase } from '../storage/sqlite.connection';
import { consentInBrowser, oauthPost, pkcePair, startOAuthTestApp, TEST_REDIRECT } from '../testing/oauth-flow';
import { startTestApp, TestApp } from '../testing/test-app';

const API_KEY = 'mcp-test-key-0123456789';
const PUBLIC_URL = 'https://memory.example.com';
const UNIFIED = [
  'memory_store',
  'memory_search',
  'memory_list',
  'memory_get',
  'memory_update',
  'memory_delete',
  'memory_restore',
  'memory_health',
  'memory_stats',
  'memory_store_session',
];
const LEGACY = [
  'store_memory',
  'retrieve_memory',
  'recall_memory',
  'search_by_tag',
  'delete_memory',
  'list_memories',
  'check_database_health',
];
const DAY_SECONDS = 24 * 3600;

async function readText(client: McpTestClient, resource: { uri: string }): Promise<string> {
  const { contents } = await client.readResource(resource);
  return (contents[0] as { text: string }).text;
}

let api: TestApp;
before(async () => {
  api = await startTestApp({ MCP_API_KEY: API_KEY, ENGRAM_PUBLIC_URL: PUBLIC_URL });
});
after(() => api.close());

for (const kind of CLIENT_KINDS) describeCatalog(kind);

/** The whole catalog through one kind of client; each kind works in a namespace of its own. */
function describeCatalog(kind: ClientKind) {
  describe(`MCP over Streamable HTTP (/mcp), ${kind} client`, () => {
    let client: McpTestClient;

    before(async () => {
      const connected = await connectHttpClient(api.url, API_KEY, kind, `ns-${kind}`);
      client = connected.client;
      assert.equal(connected.era, kind === 'v2-modern' ? 'modern' : 'legacy');
    });
    after(() => client.close());

    describe('tools/list', () => {
      it('lists every tool with a title, input schema, annotations, and an output schema except search/fetch', async () => {
        const { tools } = await client.listTools();
        const names = tools.map((tool) => tool.name);
        for (const name of [...UNIFIED, ...LEGACY, 'search', 'fetch']) assert.ok(names.includes(name), name);
        for (const tool of tools) {
          assert.ok(tool.title, `${tool.name} title`);
          assert.equal(tool.inputSchema.type, 'object', `${tool.name} input schema`);
          assert.equal(typeof tool.annotations?.readOnlyHint, 'boolean', `${tool.name} readOnlyHint`);
          assert.equal(typeof tool.annotations?.destructiveHint, 'boolean', `${tool.name} destructiveHint`);
          assert.equal(typeof tool.annotations?.idempotentHint, 'boolean', `${tool.name} idempotentHint`);
          if (tool.name === 'search' || tool.name === 'fetch') assert.equal(tool.outputSchema, undefined);
          else assert.equal(tool.outputSchema?.type, 'object', `${tool.name} output schema`);
        }
        const byName = new Map(tools.map((tool) => [tool.name, tool]));
        assert.equal(byName.get('memory_search')?.annotations?.readOnlyHint, true);
        assert.equal(byName.get('memory_delete')?.annotations?.destructiveHint, true);
        assert.equal(byName.get('memory_store')?.annotations?.readOnlyHint, false);
        for (const name of LEGACY) assert.match(byName.get(name)!.description!, /^Deprecated: use /);
        assert.deepEqual(byName.get('search')?.inputSchema.required, ['query']);
        assert.deepEqual(byName.get('fetch')?.inputSchema.required, ['id']);
        for (const name of UNIFIED) {
          assert.equal(byName.get(name)?.inputSchema.additionalProperties, false, `${name} names every argument`);
        }
        for (const name of LEGACY) assert.notEqual(byName.get(name)?.inputSchema.additionalProperties, false, name);
      });
    });

    describe('the unified tools', () => {
      it('stores, finds, reads, updates and deletes a memory', async () => {
        const stored = await callTool(client, 'memory_store', {
          content: 'The staging database runs PostgreSQL 16 on port 5433',
          tags: ['infra', 'Staging'],
          memory_type: 'fact',
          metadata: { source: 'mcp-test' },
        });
        assert.equal(stored.isError, undefined);
        assert.equal(stored.structured.created, true);
        assert.deepEqual(stored.structured.memory.tags, ['infra', 'staging']);
        assert.match(stored.text, /Memory stored/);
        const hash = stored.structured.content_hash;

        const again = await callTool(client, 'memory_store', {
          content: 'the staging database runs postgresql 16 on port 5433 ',
        });
        assert.equal(again.structured.created, false);
        assert.equal(again.structured.content_hash, hash);

        const found = await callTool(client, 'memory_search', {
          query: 'which port does staging postgres use',
          limit: 3,
        });
        assert.equal(found.structured.results[0].memory.content_hash, hash);
        assert.equal(found.structured.search_type, 'hybrid');
        assert.ok(found.structured.results[0].score > 0);

        const got = await callTool(client, 'memory_get', { content_hash: hash.toUpperCase() });
        assert.equal(got.structured.memory.metadata.source, 'mcp-test');

        const retagged = await callTool(client, 'memory_update', {
          content_hash: hash,
          updates: { tags: ['infra', 'db'] },
        });
        assert.deepEqual(retagged.structured.memory.tags, ['db', 'infra']);
        assert.equal(retagged.structured.content_hash, hash);

        const rewritten = await callTool(client, 'memory_update', {
          content_hash: hash,
          content: 'The staging database runs PostgreSQL 17 on port 5433',
        });
        assert.notEqual(rewritten.structured.content_hash, hash);
        assert.equal(rewritten.structured.previous_content_hash, hash);

        const deleted = await callTool(client, 'memory_delete', { content_hash: rewritten.structured.content_hash });
        assert.equal(deleted.structured.deleted, 1);
        const gone = await callTool(client, 'memory_get', { content_hash: rewritten.structured.content_hash });
        assert.equal(gone.isError, true);
        assert.match(gone.text, /No memory with content_hash/);

        const restored = await callTool(client, 'memory_restore', {
          content_hash: rewritten.structured.content_hash,
        });
        assert.notEqual(restored.isError, true, restored.text);
        assert.equal(restored.structured.memory.content, 'The staging database runs PostgreSQL 17 on port 5433');
        const back = await callTool(client, 'memory_get', { content_hash: rewritten.structured.content_hash });
        assert.deepEqual(back.structured.memory.tags, ['db', 'infra']);
        const twice = await callTool(client, 'memory_restore', { content_hash: rewritten.structured.content_hash });
        assert.equal(twice.isError, true);
        assert.match(twice.text, /No deleted memory with content_hash .* in the trash/);
      });

      it('lifts tags and type given inside metadata (MCP Memory Service unified format)', async () => {
        const stored = await callTool(client, 'memory_store', {
          content: 'Prefers dark mode in every editor',
          metadata: { tags: 'preference, ui', type: 'preference', origin: 'chat' },
        });
        assert.deepEqual(stored.structured.memory.tags, ['preference', 'ui']);
        assert.equal(stored.structured.memory.memory_type, 'preference');
        assert.deepEqual(stored.structured.memory.metadata, { origin: 'chat' });
      });

      it("takes MCP Memory Service's max_response_chars, fallback and preserve_timestamps", async () => {
        const texts = ['Harbour notes: the ferry leaves at nine', 'Harbour notes: the pier closes at dusk'];
        const hashes: string[] = [];
        for (const content of texts)
          hashes.push((await callTool(client, 'memory_store', { content })).structured.content_hash);
        const query = { query: 'harbour notes', mode: 'keyword', min_score: 0, limit: 2 };
        const all = await callTool(client, 'memory_search', { ...query, fallback: true });
        assert.equal(all.structured.results.length, 2, all.text);
        assert.equal(all.structured.truncated, undefined);
        const cut = await callTool(client, 'memory_search', { ...query, max_response_chars: texts[0].length + 5 });
        assert.deepEqual(
          [cut.structured.results.length, cut.structured.total_found, cut.structured.truncated],
          [1, 2, true],
          'whole memories only, within the budget',
        );
        const tiny = await callTool(client, 'memory_search', { ...query, max_response_chars: 1 });
        assert.equal(tiny.structured.results.length, 1, 'the best result is kept whatever its length');
        assert.ok(texts.includes(tiny.structured.results[0].memory.content), 'never cut in half');
        const kept = await callTool(client, 'memory_update', {
          content_hash: hashes[0],
          tags: ['harbour'],
          preserve_timestamps: true,
        });
        assert.notEqual(kept.isError, true, kept.text);
        const refused = await callTool(client, 'memory_update', {
          content_hash: hashes[0],
          tags: ['harbour'],
          preserve_timestamps: false,
        });
        assert.equal(refused.isError, true);
        assert.match(refused.text, /creation time never changes/);
        for (const hash of hashes) await callTool(client, 'memory_delete', { content_hash: hash });
      });

      it('lists pages with filters', async () => {
        for (let i = 0; i < 3; i++)
          await callTool(client, 'memory_store', { content: `paging note ${i}`, tags: ['paging'] });
        const page = await callTool(client, 'memory_list', { page: 1, page_size: 2, tags: ['paging'] });
        assert.equal(page.structured.total, 3);
        assert.equal(page.structured.memories.length, 2);
        assert.equal(page.structured.has_more, true);
        assert.equal(page.structured.total_pages, 2);
        assert.equal(page.structured.memories[0].content, 'paging note 2');
      });

      it('walks a list by cursor, and refuses a cursor for other filters or beside a page', async () => {
        for (let i = 0; i < 5; i++)
          await callTool(client, 'memory_store', { content: `cursor note ${i}`, tags: ['cursor'] });
        const first = await callTool(client, 'memory_list', { page_size: 2, tags: ['cursor'], order: 'oldest' });
        const contents = first.structured.memories.map((m: { content: string }) => m.content);
        let next: string | null = first.structured.next_cursor;
        for (let turns = 0; next !== null; turns++) {
          assert.ok(turns < 10, 'the walk ends');
          const page = await callTool(client, 'memory_list', {
            page_size: 2,
            tags: ['cursor'],
            order: 'oldest',
            cursor: next,
          });
          assert.notEqual(page.isError, true, page.text);
          assert.equal(page.structured.page, null);
          assert.equal(page.structured.total, 5, "one tag's total comes from the running counts after a cursor too");
          assert.match(page.text, /^After the cursor: \d of 5 memories/);
          contents.push(...page.structured.memories.map((m: { content: string }) => m.content));
          next = page.structured.next_cursor;
        }
        assert.deepEqual(
          contents,
          [0, 1, 2, 3, 4].map((i) => `cursor note ${i}`),
        );

        const cursor = first.structured.next_cursor;
        const newest = await callTool(client, 'memory_list', { page_size: 2, tags: ['cursor'], cursor });
        assert.equal(newest.isError, true);
        assert.match(newest.text, /cursor was made for another order/);
        const both = await callTool(client, 'memory_list', { page: 2, tags: ['cursor'], order: 'oldest', cursor });
        assert.equal(both.isError, true);
        assert.match(both.text, /give page or cursor, not both/);
        const damaged = await callTool(client, 'memory_list', { cursor: 'x'.repeat(40) });
        assert.equal(damaged.isError, true);
        assert.match(damaged.text, /cursor is not one this service returned/);
      });

      it('deletes by filter only with an explicit dry_run, and refuses a filterless delete', async () => {
        for (let i = 0; i < 3; i++)
          await callTool(client, 'memory_store', { content: `scratch ${i}`, tags: ['scratch'] });
        const filterless = await callTool(client, 'memory_delete', {});
        assert.equal(filterless.isError, true);
        assert.match(filterless.text, /content_hash or at least one filter/);
        const implicit = await callTool(client, 'memory_delete', { tags: ['scratch'] });
        assert.equal(implicit.isError, true);
        assert.match(implicit.text, /dry_run is required/);

        const preview = await callTool(client, 'memory_delete', { tags: ['scratch'], dry_run: true });
        assert.equal(preview.structured.matched, 3);
        assert.equal(preview.structured.deleted, 0);
        assert.equal(preview.structured.content_hashes.length, 3);
        assert.equal((await callTool(client, 'memory_list', { tags: ['scratch'] })).structured.total, 3);

        const done = await callTool(client, 'memory_delete', { tags: ['scratch'], dry_run: false });
        assert.equal(done.structured.deleted, 3);
        assert.equal(done.structured.remaining, 0);
        assert.equal((await callTool(client, 'memory_list', { tags: ['scratch'] })).structured.total, 0);
      });

      it('stores a session as one memory of type session', async () => {
        const stored = await callTool(client, 'memory_store_session', {
          session_id: 'Planning-42',
          turns: [
            { role: 'user', content: 'Can we ship on Friday?' },
            { role: 'assistant', content: 'Yes, if the migration lands Thursday.' },
          ],
        });
        const memory = stored.structured.memory;
        assert.equal(memory.memory_type, 'session');
        assert.ok(memory.tags.includes('session:planning-42'));
        assert.equal(
          memory.content,
          '[user] Can we ship on Friday?\n[assistant] Yes, if the migration lands Thursday.',
        );
        assert.equal(memory.metadata.turns, 2);
      });

      it('reports health and statistics', async () => {
        const health = await callTool(client, 'memory_health');
        assert.equal(health.structured.status, 'healthy');
        assert.ok(health.structured.statistics.total_memories > 0);
        assert.equal(health.structured.embedding.dimension, 512);
        const stats = await callTool(client, 'memory_stats');
        assert.equal(stats.structured.total_memories, health.structured.statistics.total_memories);
        assert.ok(stats.structured.top_tags.some((tag: { tag: string }) => tag.tag === 'paging'));
      });
    });

    describe('legacy tool names', () => {
      it('store_memory and delete_memory keep their old result shapes', async () => {
        const stored = await callTool(client, 'store_memory', {
          content: 'Legacy clients still call store_memory',
          tags: ['legacy'],
          metadata: { tags: ['compat'] },
        });
        assert.deepEqual(Object.keys(stored.structured).sort(), ['content_hash', 'message', 'success']);
        const got = await callTool(client, 'memory_get', { content_hash: stored.structured.content_hash });
        assert.deepEqual(got.structured.memory.tags, ['compat', 'legacy']);
        const deleted = await callTool(client, 'delete_memory', { content_hash: stored.structured.content_hash });
        assert.equal(deleted.structured.success, true);
      });

      it('retrieve_memory accepts n_results or limit', async () => {
        for (const topic of ['kubernetes ingress timeouts', 'kubernetes node pools', 'kubernetes secrets rotation']) {
          await callTool(client, 'memory_store', { content: `Notes on ${topic}`, tags: ['k8s'] });
        }
        const byN = await callTool(client, 'retrieve_memory', { query: 'kubernetes', n_results: 2 });
        assert.equal(byN.structured.results.length, 2);
        assert.equal(byN.structured.total_found, 2);
        assert.match(byN.structured.results[0].content, /kubernetes/);
        assert.equal(typeof byN.structured.results[0].similarity_score, 'number');
        const byLimit = await callTool(client, 'retrieve_memory', { query: 'kubernetes', limit: 3 });
        assert.equal(byLimit.structured.results.length, 3);
      });

      it('recall_memory reads the time phrase out of the query', async () => {
        const now = Date.now() / 1000;
        await callTool(client, 'memory_store', {
          content: 'Recall check: decided to rename the billing service',
          created_at: now - 3 * DAY_SECONDS,
        });
        await callTool(client, 'memory_store', {
          content: 'Recall check: decided to move billing to a new cluster',
          created_at: now - 40 * DAY_SECONDS,
        });
        const recent = await callTool(client, 'recall_memory', { query: 'recall check billing in the last 7 days' });
        const contents = recent.structured.results.map((r: { content: string }) => r.content);
        assert.equal(contents[0], 'Recall check: decided to rename the billing service');
        assert.ok(!contents.includes('Recall check: decided to move billing to a new cluster'));
        const older = await callTool(client, 'recall_memory', { query: 'recall check billing 40 days ago' });
        assert.equal(older.structured.results[0]?.content, 'Recall check: decided to move billing to a new cluster');
      });

      it('search_by_tag accepts match_all or operation, any by default', async () => {
        await callTool(client, 'memory_store', { content: 'tagged alpha only', tags: ['alpha'] });
        await callTool(client, 'memory_store', { content: 'tagged alpha and beta', tags: ['alpha', 'beta'] });
        const any = await callTool(client, 'search_by_tag', { tags: ['alpha', 'beta'] });
        assert.equal(any.structured.total_found, 2);
        const all = await callTool(client, 'search_by_tag', { tags: 'alpha,beta', match_all: true });
        assert.equal(all.structured.total_found, 1);
        const and = await callTool(client, 'search_by_tag', { tags: ['alpha', 'beta'], operation: 'and' });
        assert.equal(and.structured.total_found, 1);
        const or = await callTool(client, 'search_by_tag', { tags: ['alpha', 'beta'], operation: 'OR' });
        assert.equal(or.structured.total_found, 2);
      });

      it('ignore arguments they do not take, as MCP Memory Service did', async () => {
        const result = await callTool(client, 'check_database_health', { verbose: true });
        assert.notEqual(result.isError, true, result.text);
      });

      it('list_memories and check_database_health answer in their old shapes', async () => {
        const listed = await callTool(client, 'list_memories', { page: 1, page_size: 1, tag: 'alpha' });
        assert.equal(listed.structured.total_found, 2);
        assert.equal(listed.structured.memories.length, 1);
        const health = await callTool(client, 'check_database_health');
        assert.deepEqual(Object.keys(health.structured).sort(), ['statistics', 'status']);
      });
    });

    describe('ChatGPT search and fetch', () => {
      it('answer with exactly one text item holding the JSON envelope', async () => {
        await callTool(client, 'memory_store', { content: 'Quarterly planning happens in the first week of January' });
        const search = await client.callTool({ name: 'search', arguments: { query: 'when is quarterly planning' } });
        const searchContent = search.content as { type: string; text: string }[];
        assert.equal(searchContent.length, 1);
        assert.equal(searchContent[0].type, 'text');
        assert.equal(search.structuredContent, undefined);
        const { results } = JSON.parse(searchContent[0].text);
        assert.ok(results.length > 0);
        for (const result of results) assert.deepEqual(Object.keys(result).sort(), ['id', 'text', 'title', 'url']);
        const top = results[0];
        assert.match(top.title, /Quarterly planning/);
        assert.equal(top.url, `${PUBLIC_URL}/#/memory/${top.id}`);

        const fetched = await client.callTool({ name: 'fetch', arguments: { id: top.id } });
        const fetchContent = fetched.content as { type: string; text: string }[];
        assert.equal(fetchContent.length, 1);
        const document = JSON.parse(fetchContent[0].text);
        assert.ok(!Array.isArray(document));
        assert.deepEqual(Object.keys(document).sort(), ['id', 'metadata', 'text', 'title', 'url']);
        assert.equal(document.id, top.id);
        assert.equal(document.text, 'Quarterly planning happens in the first week of January');
        assert.equal(document.metadata.memory_type, 'note');
      });

      it('fetch of an unknown id is an error result', async () => {
        const missing = await client.callTool({ name: 'fetch', arguments: { id: 'no-such-memory' } });
        assert.equal(missing.isError, true);
      });
    });

    describe('resources', () => {
      it('serves stats, tags, recent memories and one memory', async () => {
        const { resources } = await client.listResources();
        assert.deepEqual(resources.map((resource) => resource.uri).sort(), ['memory://stats', 'memory://tags']);
        const { resourceTemplates } = await client.listResourceTemplates();
        assert.deepEqual(resourceTemplates.map((template) => template.uriTemplate).sort(), [
          'memory://recent/{n}',
          'memory://{hash}',
        ]);
        const stats = JSON.parse(await readText(client, { uri: 'memory://stats' }));
        assert.equal(stats.status, 'healthy');
        const tags = JSON.parse(await readText(client, { uri: 'memory://tags' }));
        assert.ok(tags.tags.some((tag: { tag: string }) => tag.tag === 'alpha'));
        const recent = JSON.parse(await readText(client, { uri: 'memory://recent/2' }));
        assert.equal(recent.memories.length, 2);
        const hash = recent.memories[0].content_hash;
        const one = JSON.parse(await readText(client, { uri: `memory://${hash}` }));
        assert.equal(one.content_hash, hash);
        const invalidParams = (pattern: RegExp) => (error: { code?: number; message: string }) =>
          error.code === -32602 && pattern.test(error.message);
        await assert.rejects(
          client.readResource({ uri: 'memory://recent/0' }),
          invalidParams(/n must be an integer from 1 to 100/),
        );
        for (const missing of [`memory://${'0'.repeat(64)}`, 'memory://nothex']) {
          await assert.rejects(client.readResource({ uri: missing }), invalidParams(/No memory/), missing);
        }
        const text = await readText(client, { uri: `memory://${hash}` });
        assert.doesNotMatch(text, /\n/, 'compact JSON: its size does not grow with the nesting of metadata');
      });
    });

    describe('invalid arguments', () => {
      const cases: [string, Record<string, unknown>, RegExp][] = [
        ['memory_store', { content: '   ' }, /content must not be empty/],
        ['memory_store', { tags: ['x'] }, /content/],
        ['memory_search', { query: 'x', limit: 1000 }, /limit/],
        ['memory_search', { query: 'x', mode: 'fuzzy' }, /mode/],
        [
          'memory_search',
          { query: 'x', time_expr: 'when pigs fly' },
          /Cannot understand the time expression "when pigs fly"/,
        ],
        ['memory_get', { content_hash: 'abc' }, /content_hash is 64 hexadecimal characters/],
        [
          'memory_update',
          { content_hash: 'a'.repeat(64) },
          /give at least one of content, tags, memory_type, metadata/,
        ],
        ['memory_store', { content: 'x', metadata: { tags: 42 } }, /metadata\.tags/],
        ['search_by_tag', { tags: ['a'], operation: 'XOR' }, /operation/],
        ['memory_store', { content: 'x', metadata: { type: 'memory_file' } }, /memory_file is reserved/],
        // A misspelt argument is refused, never dropped: the search would run unfiltered.
        ['memory_search', { query: 'x', tag: 'work' }, /Unrecognized key: "tag"/],
        ['memory_consolidate', { dryRun: false }, /Unrecognized key: "dryRun"/],
        ...['memory_search', 'retrieve_memory', 'recall_memory', 'search'].map(
          (tool): [string, Record<string, unknown>, RegExp] => [tool, { query: 'q'.repeat(4001) }, /query/],
        ),
      ];
      for (const [tool, args, message] of cases) {
        it(`${tool} ${JSON.stringify(args).slice(0, 60)} → isError naming the problem`, async () => {
          const result = await callTool(client, tool, args);
          assert.equal(result.isError, true);
          assert.match(result.text, message);
        });
      }
    });
  });
}

const MODERN = '2026-07-28';

/** A hand-made 2026-07-28 request: the version, client and capabilities travel in `_meta`. */
function modernBody(id: number, method: string, params: Record<string, unknown> = {}, version = MODERN) {
  const _meta = {
    'io.modelcontextprotocol/protocolVersion': version,
    'io.modelcontextprotocol/clientInfo': { name: 'raw-test', version: '1.0.0' },
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  return { jsonrpc: '2.0', id, method, params: { ...params, _meta } };
}

async function post(body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${api.url}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'x-api-key': API_KEY,
      ...headers,
    },
    body: JSON.stringify(body),
  });
  return { response, body: messageOf(await response.text()) };
}

/** The JSON-RPC message of a response, answered as JSON or as one SSE `message` event. */
function messageOf(text: string): any {
  if (!text.startsWith('event:') && !text.startsWith('data:') && !text.startsWith(':'))
    return text ? JSON.parse(text) : undefined;
  const data = text.split('\n').find((line) => line.startsWith('data: '));
  return data ? JSON.parse(data.slice('data: '.length)) : undefined;
}

describe('MCP Streamable HTTP transport, both eras', () => {
  it('refuses requests without the API key, for clients of every kind', async () => {
    const { response } = await post({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'x-api-key': '' });
    assert.equal(response.status, 401);
    for (const kind of CLIENT_KINDS) {
      await assert.rejects(connectHttpClient(api.url, undefined, kind), kind);
      await assert.rejects(connectHttpClient(api.url, 'wrong-key-0123456789', kind), kind);
    }
  });

  it('answers a 2025-era POST without initialize or session, issuing no session id', async () => {
    const { response, body } = await post({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'memory_stats', arguments: {} },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('mcp-session-id'), null);
    assert.equal(body.id, 7);
    assert.equal(typeof body.result.structuredContent.total_memories, 'number');
  });

  it('answers a request it cannot read (a Host that makes no URL) with a JSON-RPC error, never silence', async () => {
    for (const host of ['bad host', '[', 'a:b:c']) {
      const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const sent = httpRequest(
          `${api.url}/mcp`,
          {
            method: 'POST',
            setHost: false,
            timeout: 10_000,
            headers: {
              host,
              'content-type': 'application/json',
              accept: 'application/json, text/event-stream',
              'x-api-key': API_KEY,
            },
          },
          (response) => {
            let text = '';
            response.on('data', (chunk) => (text += chunk));
            response.on('end', () => resolve({ status: response.statusCode!, text }));
          },
        );
        sent.on('timeout', () => sent.destroy(new Error(`no answer for Host ${host}`)));
        sent.on('error', reject);
        sent.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }));
      });
      assert.equal(answer.status, 400, `${host}: ${answer.text}`);
      assert.equal(JSON.parse(answer.text).error.code, -32600, host);
    }
  });

  it('answers a body it cannot take with a JSON-RPC error and the HTTP status that says why', async () => {
    const cases: [string, string, number, number][] = [
      ['{"jsonrpc": "2.0",', 'application/json', 400, -32700],
      ['{"jsonrpc":"2.0","id":1,"method":"ping","params":{"__proto__":{}}}', 'application/json', 400, -32600],
      ['ping', 'text/plain', 415, -32600],
    ];
    for (const [body, contentType, status, code] of cases) {
      const response = await fetch(`${api.url}/mcp`, {
        method: 'POST',
        headers: { 'content-type': contentType, accept: 'application/json, text/event-stream', 'x-api-key': API_KEY },
        body,
      });
      assert.equal(response.status, status, body);
      const answer = (await response.json()) as { jsonrpc: string; id: null; error: { code: number; message: string } };
      assert.deepEqual([answer.jsonrpc, answer.id, answer.error.code], ['2.0', null, code], body);
      assert.ok(answer.error.message.length > 0);
    }
  });

  it('answers initialize without a session: nothing about the client is kept between requests', async () => {
    const { response, body } = await post({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('mcp-session-id'), null);
    assert.equal(body.result.protocolVersion, '2025-11-25');
    assert.equal(body.result.serverInfo.name, 'engram');
    for (const method of ['GET', 'DELETE']) {
      const answer = await fetch(`${api.url}/mcp`, { method, headers: { 'x-api-key': API_KEY } });
      assert.equal(answer.status, 405, method);
    }
  });

  it('negotiates down to the revision an older client offers, and to its newest for an unknown one', async () => {
    for (const [offered, agreed] of [
      ['2024-11-05', '2024-11-05'],
      ['2025-06-18', '2025-06-18'],
      ['2030-01-01', '2025-11-25'],
    ]) {
      const { body } = await post({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: offered, capabilities: {}, clientInfo: { name: 'old', version: '1' } },
      });
      assert.equal(body.result.protocolVersion, agreed, offered);
    }
  });

  it('server/discover names the revisions, capabilities and identity of the server', async () => {
    const { response, body } = await post(modernBody(3, 'server/discover'), {
      'mcp-protocol-version': MODERN,
      'mcp-method': 'server/discover',
    });
    assert.equal(response.status, 200);
    assert.ok(body.result.supportedVersions.includes(MODERN));
    assert.equal(body.result._meta['io.modelcontextprotocol/serverInfo'].name, 'engram');
    assert.deepEqual(body.result.capabilities.tools, { listChanged: false });
    assert.equal(body.result.capabilities.resources.subscribe, true);
    assert.match(body.result.instructions, /memory_search/);
  });

  it('serves a 2026-07-28 request statelessly, answering its own identity in the result', async () => {
    const { response, body } = await post(modernBody(4, 'tools/call', { name: 'memory_stats', arguments: {} }), {
      'mcp-protocol-version': MODERN,
      'mcp-method': 'tools/call',
      'mcp-name': 'memory_stats',
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('mcp-session-id'), null);
    assert.equal(typeof body.result.structuredContent.total_memories, 'number');
    assert.equal(body.result._meta['io.modelcontextprotocol/serverInfo'].name, 'engram');
  });

  it('refuses a 2026-07-28 request whose Mcp-Method or Mcp-Name header disagrees with the body, naming both', async () => {
    const call = modernBody(5, 'tools/call', { name: 'memory_stats', arguments: {} });
    const wrongName = await post(call, {
      'mcp-protocol-version': MODERN,
      'mcp-method': 'tools/call',
      'mcp-name': 'memory_delete',
    });
    assert.equal(wrongName.response.status, 400);
    assert.equal(wrongName.body.error.code, -32020);
    assert.match(wrongName.body.error.message, /Mcp-Name/i);
    assert.match(wrongName.body.error.message, /memory_delete/);
    assert.match(wrongName.body.error.message, /memory_stats/);
    const wrongMethod = await post(call, {
      'mcp-protocol-version': MODERN,
      'mcp-method': 'tools/list',
      'mcp-name': 'memory_stats',
    });
    assert.equal(wrongMethod.response.status, 400);
    assert.match(wrongMethod.body.error.message, /Mcp-Method/i);
    const missing = await post(call, { 'mcp-protocol-version': MODERN });
    assert.equal(missing.response.status, 400);
    assert.match(missing.body.error.message, /Mcp-Method/i);
  });

  it('answers params a method cannot take with Invalid params naming the field, never Internal error', async () => {
    const modernHeaders = (method: string) => ({ 'mcp-protocol-version': MODERN, 'mcp-method': method });
    const asked = [
      { method: 'resources/read', params: {}, field: 'params.uri', era: 'legacy' },
      { method: 'tools/list', params: { cursor: 1 }, field: 'params.cursor', era: 'legacy' },
      { method: 'initialize', params: { protocolVersion: 1 }, field: 'params.protocolVersion', era: 'legacy' },
      { method: 'resources/read', params: { uri: 1 }, field: 'params.uri', era: 'modern' },
      { method: 'resources/templates/list', params: { cursor: [] }, field: 'params.cursor', era: 'modern' },
    ];
    for (const { method, params, field, era } of asked) {
      const { response, body } =
        era === 'modern'
          ? await post(modernBody(8, method, params), modernHeaders(method))
          : await post({ jsonrpc: '2.0', id: 8, method, params });
      assert.equal(response.status, 200, `${era} ${method}`);
      assert.equal(body.id, 8);
      assert.equal(body.error.code, -32602, `${era} ${method}: ${body.error.message}`);
      assert.ok(body.error.message.startsWith(`Invalid params for ${method}: ${field}: `), body.error.message);
    }
    const batch = await post([
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', id: 2, method: 'resources/read', params: { uri: 1 } },
    ]);
    assert.equal(batch.response.status, 400);
    assert.equal(batch.body.error.code, -32600);
    assert.match(batch.body.error.message, /message 2 of the batch: Invalid params for resources\/read: params\.uri/);
  });

  it('answers a revision it does not speak with the list of those it does', async () => {
    const { response, body } = await post(modernBody(6, 'tools/list', {}, '2031-01-01'), {
      'mcp-protocol-version': '2031-01-01',
      'mcp-method': 'tools/list',
    });
    assert.equal(response.status, 400);
    assert.equal(body.error.code, -32022);
    assert.deepEqual(body.error.data, { supported: [MODERN], requested: '2031-01-01' });
  });

  it('answers a request mixing the two eras with a 400 (404 for a method 2026-07-28 lacks) naming the mismatch, never a 500', async () => {
    const modernHeaders = (method: string) => ({ 'mcp-protocol-version': MODERN, 'mcp-method': method });
    const initialize = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    };
    const list = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/list' });
    const cases: [string, unknown, Record<string, string>, number, number, RegExp][] = [
      [
        'a 2025 initialize with a 2026-07-28 header',
        initialize,
        modernHeaders('initialize'),
        400,
        -32020,
        /initialize request \(legacy handshake\) was sent with a modern MCP-Protocol-Version header/,
      ],
      [
        'a 2025 request with 2026-07-28 headers',
        list(2),
        modernHeaders('tools/list'),
        400,
        -32602,
        /header names protocol revision 2026-07-28, but the request is missing the required per-request envelope key\(s\): _meta/,
      ],
      [
        'a 2025 batch with a 2026-07-28 header',
        [list(3), list(4)],
        modernHeaders('tools/list'),
        400,
        -32020,
        /Bad Request: the request headers and body disagree: a JSON-RPC batch \(protocol revision 2025-03-26 and earlier.*\) was sent with the MCP-Protocol-Version header of a later revision/,
      ],
      [
        'a batch of 2026-07-28 requests',
        [modernBody(5, 'tools/list'), modernBody(6, 'tools/list')],
        modernHeaders('tools/list'),
        400,
        -32600,
        /batches may not contain requests for protocol revision 2026-07-28/,
      ],
      [
        'a 2026-07-28 request with a 2025 header',
        modernBody(7, 'tools/list'),
        { 'mcp-protocol-version': '2025-11-25', 'mcp-method': 'tools/list' },
        400,
        -32020,
        /body envelope names protocol version 2026-07-28 but the MCP-Protocol-Version header names 2025-11-25/,
      ],
      [
        'a 2026-07-28 request without its headers',
        modernBody(8, 'tools/list'),
        {},
        400,
        -32020,
        /names protocol version 2026-07-28 but the required MCP-Protocol-Version header is absent/,
      ],
      [
        'an envelope naming a 2025 revision',
        modernBody(9, 'tools/list', {}, '2025-11-25'),
        { 'mcp-protocol-version': '2025-11-25', 'mcp-method': 'tools/list' },
        400,
        -32022,
        /Unsupported protocol version: 2025-11-25/,
      ],
      [
        'an initialize inside a 2026-07-28 envelope',
        modernBody(10, 'initialize', initialize.params),
        modernHeaders('initialize'),
        404,
        -32601,
        /Method not found/,
      ],
    ];
    for (const [label, sent, headers, status, code, message] of cases) {
      const { response, body } = await post(sent, headers);
      assert.equal(response.status, status, `${label}: ${JSON.stringify(body)}`);
      assert.equal(body.error.code, code, label);
      assert.match(body.error.message, message, label);
    }

    const v1 = new SdkV1Client({ name: 'v1-behind-a-proxy', version: '1' });
    const headers = { 'x-api-key': API_KEY, 'MCP-Protocol-Version': MODERN };
    await assert.rejects(
      v1.connect(new SdkV1HttpTransport(new URL('/mcp', api.url), { requestInit: { headers } })),
      /HTTP 400|headers and body disagree/,
    );
  });

  it('serves a JSON-RPC batch only to the revision that has batches (2025-03-26, the one assumed without the header) and refuses it with 400 under a later one', async () => {
    const batch = [
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
    ];
    for (const headers of [{}, { 'mcp-protocol-version': '2025-03-26' }] as Record<string, string>[]) {
      const { response, body } = await post(batch, headers);
      assert.equal(response.status, 200, `${JSON.stringify(headers)}: ${JSON.stringify(body).slice(0, 300)}`);
      assert.deepEqual(body.map((answer: { id: number }) => answer.id).sort(), [1, 2]);
    }
    const unanswerable = [{ jsonrpc: '2.0', method: 'notifications/initialized' }];
    for (const [version, sent, code] of [
      ['2025-06-18', batch, -32600],
      ['2025-11-25', batch, -32600],
      ['2025-11-25', unanswerable, -32600],
      [MODERN, unanswerable, -32020],
    ] as const) {
      const { response, body } = await post(sent, { 'mcp-protocol-version': version });
      const label = `${version}, ${sent.length} messages: ${JSON.stringify(body).slice(0, 300)}`;
      assert.equal(response.status, 400, label);
      assert.equal(body.error.code, code, label);
      assert.match(body.error.message, /headers and body disagree: a JSON-RPC batch \(protocol revision 2025-03-26/);
      assert.equal(body.error.data.mismatch.header, version);
    }
  });

  it('ignores an Mcp-Session-Id from either era, as the 2026-07-28 transport asks of a server without sessions', async () => {
    const stale = { 'mcp-session-id': 'issued-by-the-stateful-server-before-the-upgrade' };
    const legacy = await post({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, stale);
    assert.equal(legacy.response.status, 200);
    assert.equal(legacy.response.headers.get('mcp-session-id'), null);
    const modern = await post(modernBody(2, 'tools/list'), {
      ...stale,
      'mcp-protocol-version': MODERN,
      'mcp-method': 'tools/list',
    });
    assert.equal(modern.response.status, 200);
    assert.equal(modern.response.headers.get('mcp-session-id'), null);

    // A 2025-era client still holding the session id the server gave it before it went stateless.
    const v1 = new SdkV1Client({ name: 'v1-with-old-session', version: '1' });
    const transport = new SdkV1HttpTransport(new URL('/mcp', api.url), {
      sessionId: stale['mcp-session-id'],
      requestInit: { headers: { 'x-api-key': API_KEY } },
    });
    await v1.connect(transport);
    try {
      const stats = await v1.callTool({ name: 'memory_stats', arguments: {} });
      assert.notEqual(stats.isError, true, JSON.stringify(stats));
    } finally {
      await v1.close();
    }
  });

  it('answers a CORS preflight for an allowed origin with the MCP headers of both eras', async () => {
    const response = await fetch(`${api.url}/mcp`, {
      method: 'OPTIONS',
      headers: {
        origin: `http://localhost:${api.config.http.port}`,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'mcp-protocol-version, mcp-method, mcp-name, authorization, content-type',
      },
    });
    assert.equal(response.status, 204);
    const allowed = response.headers.get('access-control-allow-headers')?.toLowerCase() ?? '';
    for (const header of ['mcp-protocol-version', 'mcp-method', 'mcp-name', 'authorization']) {
      assert.ok(allowed.includes(header), header);
    }
  });

  it("lets a browser client of an allowed origin read a 401's WWW-Authenticate, where OAuth discovery starts", async () => {
    const origin = `http://localhost:${api.config.http.port}`;
    const response = await fetch(`${api.url}/mcp`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer /);
    assert.equal(response.headers.get('access-control-allow-origin'), origin);
    const exposed = (response.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/,\s*/);
    for (const header of ['www-authenticate', 'retry-after', 'x-request-id']) {
      assert.ok(exposed.includes(header), `${header} is not exposed: ${exposed.join(', ')}`);
    }
  });

  it('counts tool calls by tool and outcome, and requests by era, in /metrics', async () => {
    const modern = await connectHttpClient(api.url, API_KEY, 'v2-modern');
    await callTool(modern.client, 'memory_get', { content_hash: 'f'.repeat(64) });
    await modern.client.close();
    const metrics = await api.request('GET', '/metrics', { headers: { 'x-api-key': API_KEY } });
    assert.match(metrics.text, /engram_mcp_tool_calls_total\{tool="memory_store",outcome="ok"\} \d+/);
    assert.match(metrics.text, /engram_mcp_tool_calls_total\{tool="memory_get",outcome="rejected"\} \d+/);
    assert.match(metrics.text, /engram_mcp_tool_duration_seconds_count\{tool="memory_search"\} \d+/);
    assert.match(metrics.text, /engram_mcp_requests_total\{era="legacy"\} [1-9]/);
    assert.match(metrics.text, /engram_mcp_requests_total\{era="modern"\} [1-9]/);
  });
});

describe('MCP resource updates on subscriptions/listen (2026-07-28)', () => {
  it('notifies a listener of changes to the resources it named, in its own namespace only', async () => {
    const listener = await openListen(API_KEY, 'listen-a', ['memory://stats']);
    try {
      const other = await connectHttpClient(api.url, API_KEY, 'sdk-v1', 'listen-b');
      await callTool(other.client, 'memory_store', { content: 'written in another namespace' });
      await other.client.close();
      const own = await connectHttpClient(api.url, API_KEY, 'sdk-v1', 'listen-a');
      await callTool(own.client, 'memory_store', { content: 'written where the listener listens' });
      await own.client.close();
      const note = await listener.next();
      assert.equal(note.method, 'notifications/resources/updated');
      assert.equal(note.params.uri, 'memory://stats');
      assert.equal(listener.received().length, 1, 'the other namespace’s write was not announced');
    } finally {
      listener.close();
    }
  });

  it('cuts a listen stream once its key is revoked', async () => {
    const created = await api.request('POST', '/api/admin/keys', {
      headers: { 'x-api-key': API_KEY },
      body: { name: 'listener', scopes: ['read'] },
    });
    assert.equal(created.status, 201, created.text);
    const listener = await openListen(created.body.key, 'default', ['memory://stats']);
    try {
      const revoked = await api.request('DELETE', `/api/admin/keys/${created.body.id}`, {
        headers: { 'x-api-key': API_KEY },
      });
      assert.equal(revoked.status, 200, revoked.text);
      const cut = await Promise.race([listener.ended.then(() => true), delay(5_000, false)]);
      assert.ok(cut, 'the stream ended within 5 s of the revocation');
      const again = await openListen(created.body.key, 'default', ['memory://stats']);
      assert.equal(again.status, 401);
    } finally {
      listener.close();
    }
  });
});

/** One connector registered once, as Claude's or ChatGPT's is for every user of a server. */
async function registerConnector(base: string): Promise<string> {
  const registered = await fetch(`${base}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'shared connector', redirect_uris: [TEST_REDIRECT] }),
  });
  assert.equal(registered.status, 201, await registered.clone().text());
  return ((await registered.json()) as { client_id: string }).client_id;
}

/** The operator approves the connector for `namespace`; the access token of that grant. */
async function connectorToken(base: string, clientId: string, namespace: string): Promise<string> {
  const { verifier, challenge } = pkcePair();
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: TEST_REDIRECT,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const consent = await consentInBrowser(base, `${base}/oauth/authorize?${query}`, { credential: API_KEY, namespace });
  const exchanged = await oauthPost(`${base}/oauth/token`, {
    grant_type: 'authorization_code',
    code: consent.params.get('code')!,
    code_verifier: verifier,
    client_id: clientId,
  });
  assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
  return exchanged.body.access_token as string;
}

/** Opens a raw subscriptions/listen stream; resolves once the server acknowledged it. */
async function openListen(key: string, namespace: string, uris: string[]) {
  const controller = new AbortController();
  const response = await fetch(`${api.url}/mcp`, {
    method: 'POST',
    signal: controller.signal,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'x-api-key': key,
      'x-engram-namespace': namespace,
      'mcp-protocol-version': MODERN,
      'mcp-method': 'subscriptions/listen',
    },
    body: JSON.stringify(modernBody(9, 'subscriptions/listen', { notifications: { resourceSubscriptions: uris } })),
  });
  const messages: any[] = [];
  const waiters: (() => void)[] = [];
  if (response.headers.get('content-type')?.startsWith('application/json')) {
    // Refused before any stream opened: one JSON-RPC error.
    const refusal = await response.json();
    return {
      status: response.status,
      first: refusal,
      received: () => [],
      next: async () => refusal,
      ended: Promise.resolve(),
      close() {},
    };
  }
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const ended = (async () => {
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame.split('\n').find((line) => line.startsWith('data: '));
        if (data) messages.push(JSON.parse(data.slice(6)));
        waiters.splice(0).forEach((wake) => wake());
      }
    }
  })();
  const until = async (count: number) => {
    while (messages.length < count) await new Promise<void>((wake) => waiters.push(wake));
    return messages[count - 1];
  };
  const first = await until(1);
  let read = 1;
  return {
    status: response.status,
    first,
    /** Notifications after the acknowledgement. */
    received: () => messages.slice(1),
    next: () => until(++read),
    /** Resolves when the stream ends (the server cut it, or close()). */
    ended,
    close: () => controller.abort(),
  };
}

describe('MCP limits per credential (nothing one credential does can use up what others need)', () => {
  let limited: TestApp;

  before(async () => {
    limited = await startTestApp({
      MCP_API_KEY: API_KEY,
      ENGRAM_MCP_STREAMS_PER_CREDENTIAL: '2',
      ENGRAM_MCP_LEGACY_TOOLS: 'unlisted',
    });
  });
  after(() => limited.close());

  it('caps the listen streams one credential holds over all namespaces, while another credential opens its own', async () => {
    const other = await limited.request('POST', '/api/admin/keys', {
      headers: { 'x-api-key': API_KEY },
      body: { name: 'other-listener', scopes: ['read'] },
    });
    assert.equal(other.status, 201, other.text);
    const previous = api;
    api = limited;
    const streams = [];
    try {
      streams.push(await openListen(API_KEY, 'default', ['memory://stats']));
      streams.push(await openListen(API_KEY, 'elsewhere', ['memory://stats']));
      assert.equal(streams[0].first.method, 'notifications/subscriptions/acknowledged');
      const refused = await openListen(API_KEY, 'third', ['memory://stats']);
      streams.push(refused);
      assert.match(refused.first.error.message, /already holds 2 subscriptions\/listen streams/);
      const anotherCredential = await openListen(other.body.key, 'default', ['memory://stats']);
      streams.push(anotherCredential);
      assert.equal(anotherCredential.first.method, 'notifications/subscriptions/acknowledged');
      const metrics = await limited.request('GET', '/metrics', { headers: { 'x-api-key': API_KEY } });
      assert.match(metrics.text, /engram_mcp_listen_streams 3/);
    } finally {
      streams.forEach((stream) => stream.close());
      api = previous;
    }
  });

  it('counts one OAuth connector apart in each namespace it is approved for, so one tenant cannot fill the cap for another', async () => {
    const shared = await startOAuthTestApp(API_KEY, {
      ENGRAM_MCP_STREAMS_PER_CREDENTIAL: '2',
      ENGRAM_OAUTH_OPEN_REGISTRATION: 'true',
    });
    const previous = api;
    api = shared;
    const streams = [];
    try {
      const clientId = await registerConnector(shared.url);
      const tenantA = await connectorToken(shared.url, clientId, 'tenant-a');
      const tenantB = await connectorToken(shared.url, clientId, 'tenant-b');
      streams.push(await openListen(tenantA, 'tenant-a', ['memory://stats']));
      streams.push(await openListen(tenantA, 'tenant-a', ['memory://stats']));
      const third = await openListen(tenantA, 'tenant-a', ['memory://stats']);
      streams.push(third);
      assert.match(third.first.error.message, /already holds 2 subscriptions\/listen streams/);
      const otherTenant = await openListen(tenantB, 'tenant-b', ['memory://stats']);
      streams.push(otherTenant);
      assert.equal(
        otherTenant.first.method,
        'notifications/subscriptions/acknowledged',
        JSON.stringify(otherTenant.first),
      );
    } finally {
      streams.forEach((stream) => stream.close());
      api = previous;
      await shared.close();
    }
  });

  it('keeps at most 100 unclaimed cancellations per credential, so a flood pushes out only its own', async () => {
    const victim = await limited.request('POST', '/api/admin/keys', {
      headers: { 'x-api-key': API_KEY },
      body: { name: 'victim', scopes: ['read'] },
    });
    const previous = api;
    api = limited;
    try {
      const cancel = (key: string, namespace: string, requestId: number) =>
        post(
          { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId, reason: 'flood' } },
          { 'x-api-key': key, 'x-engram-namespace': namespace },
        );
      assert.equal((await cancel(victim.body.key, 'default', 1)).response.status, 202);
      for (let i = 0; i < 150; i++) await cancel(API_KEY, `flood-${i % 3}`, i);
      const db = limited.app.get(SQLITE_DATABASE) as SqliteDatabase;
      const count = (credential: string) =>
        db.prepare('SELECT COUNT(*) FROM mcp_cancellations WHERE credential = ?').pluck().get(credential) as number;
      assert.equal(count('bootstrap:MCP_API_KEY'), 100);
      assert.equal(count(`api_key:${victim.body.id}`), 1);
    } finally {
      api = previous;
    }
  });

  it('keeps unlisted legacy tools callable', async () => {
    for (const kind of CLIENT_KINDS) {
      const { client } = await connectHttpClient(limited.url, API_KEY, kind);
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      assert.ok(names.includes('memory_store'), kind);
      assert.ok(!names.includes('store_memory'), kind);
      const stored = await callTool(client, 'store_memory', { content: `unlisted but callable by ${kind}` });
      assert.equal(stored.structured.success, true, kind);
      await client.close();
    }
  });
});
