import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { callTool, connectHttpClient } from '../testing/mcp-client';
import { consentInBrowser, startOAuthTestApp } from '../testing/oauth-flow';
import { publicClient, TestConnector } from '../testing/test-connector';
import { TestApp } from '../testing/test-app';

const ADMIN_KEY = 'operator-admin-key-0123456789';
const REDIRECT = 'http://127.0.0.1:9/callback';
const NAMESPACE = 'step-up';

describe('MCP step-up authorization (403 insufficient_scope)', () => {
  let api: TestApp;
  let base: string;
  let metadataUrl: string;

  before(async () => {
    api = await startOAuthTestApp(ADMIN_KEY, { ENGRAM_OAUTH_OPEN_REGISTRATION: 'true' });
    base = api.url;
    metadataUrl = `${base}/.well-known/oauth-protected-resource/mcp`;
  });
  after(() => api.close());

  const mcpUrl = () => new URL('/mcp', base);

  /** The operator approves what the client asked for, with `scopes` ticked, for NAMESPACE. */
  async function approve(provider: TestConnector, transport: StreamableHTTPClientTransport, scopes: string[]) {
    assert.ok(provider.authorizationUrl, 'the SDK sent the user to the authorization endpoint');
    const { status, params } = await consentInBrowser(base, provider.authorizationUrl, {
      credential: ADMIN_KEY,
      scopes,
      namespace: NAMESPACE,
    });
    assert.equal(status, 303);
    provider.authorizationUrl = undefined;
    await transport.finishAuth(params);
  }

  /** A v2 SDK client holding a token approved for `read` only, speaking 2025-11-25 or pinned to 2026-07-28. */
  async function readOnlyConnector(era: 'legacy' | 'modern' = 'legacy'): Promise<{
    provider: TestConnector;
    client: Client;
    transport: StreamableHTTPClientTransport;
  }> {
    const provider = new TestConnector(publicClient('Step-up connector', REDIRECT));
    const first = new StreamableHTTPClientTransport(mcpUrl(), { authProvider: provider });
    await assert.rejects(new Client({ name: 'connector', version: '1' }).connect(first), UnauthorizedError);
    await approve(provider, first, ['read']);
    assert.equal(provider.saved?.scope, 'read');
    const transport = new StreamableHTTPClientTransport(mcpUrl(), { authProvider: provider });
    const pin = era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' as const } } } : undefined;
    const client = new Client({ name: 'connector', version: '1' }, pin);
    await client.connect(transport);
    assert.equal(client.getProtocolEra() ?? 'legacy', era);
    return { provider, client, transport };
  }

  const storedInNamespace = async () => {
    const listed = await api.request('GET', '/api/memories', {
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'x-engram-namespace': NAMESPACE },
    });
    return (listed.body.memories as { content: string }[]).map((memory) => memory.content);
  };

  /** POSTs `body` (one JSON-RPC message or a batch) to /mcp with `token`, as a Streamable HTTP client does. */
  const postToMcp = (token: string, body: object, headers: Record<string, string> = {}) =>
    fetch(mcpUrl(), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      body: JSON.stringify(body),
    });
  const postMcp = (token: string, message: object, headers: Record<string, string> = {}) =>
    postToMcp(token, { jsonrpc: '2.0', id: 1, ...message }, headers);

  it('answers a read-only token calling a write tool with 403 insufficient_scope naming "write", in both eras', async () => {
    const { provider, client } = await readOnlyConnector();
    await client.close();
    const token = provider.saved!.access_token;
    const store = { name: 'memory_store', arguments: { content: 'written with a read-only token' } };
    const challenge =
      `Bearer error="insufficient_scope", error_description="memory_store needs the write scope", ` +
      `scope="write", resource_metadata="${metadataUrl}"`;

    const legacy = await postMcp(token, { method: 'tools/call', params: store });
    assert.equal(legacy.status, 403);
    assert.equal(legacy.headers.get('www-authenticate'), challenge);
    assert.equal(((await legacy.json()) as { error: string }).error, 'insufficient_scope');

    const version = '2026-07-28';
    const modern = await postMcp(
      token,
      {
        method: 'tools/call',
        params: {
          ...store,
          _meta: {
            'io.modelcontextprotocol/protocolVersion': version,
            'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
            'io.modelcontextprotocol/clientCapabilities': {},
          },
        },
      },
      { 'mcp-protocol-version': version, 'mcp-method': 'tools/call', 'mcp-name': 'memory_store' },
    );
    assert.equal(modern.status, 403);
    assert.equal(modern.headers.get('www-authenticate'), challenge);

    const search = await postMcp(token, {
      method: 'tools/call',
      params: { name: 'memory_search', arguments: { query: 'x' } },
    });
    assert.equal(search.status, 200, 'a tool within the token’s scope is served');
    assert.ok(!(await storedInNamespace()).includes(store.arguments.content));
  });

  for (const era of ['legacy', 'modern'] as const) {
    it(`lets the SDK client (${era} era) step up: it asks the user for write, and the call it retries stores the memory`, async () => {
      const { provider, client, transport } = await readOnlyConnector(era);
      try {
        const listed = await client.listTools();
        assert.ok(
          listed.tools.some((tool) => tool.name === 'memory_store'),
          'write tools stay listed for a read token, so a client can ask to use them',
        );
        const content = `stored after stepping up (${era})`;
        await assert.rejects(client.callTool({ name: 'memory_store', arguments: { content } }), UnauthorizedError);
        const asked = provider.authorizationUrl?.searchParams.get('scope')?.split(' ') ?? [];
        assert.ok(asked.includes('write'), `the client asks for write (asked: ${asked.join(' ')})`);
        await approve(provider, transport, ['read', 'write']);
        assert.deepEqual(provider.saved?.scope?.split(' ').sort(), ['read', 'write']);

        const stored = await client.callTool({ name: 'memory_store', arguments: { content } });
        assert.equal(stored.isError, undefined, JSON.stringify(stored.content));
        assert.ok((await storedInNamespace()).includes(content));
      } finally {
        await client.close();
      }
    });
  }

  /** How many times `tool` has been called over MCP, as /metrics counts them. */
  const callsOf = async (tool: string) => {
    const metrics = await api.request('GET', '/metrics', { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    const counted = [
      ...metrics.text.matchAll(new RegExp(`^engram_mcp_tool_calls_total\\{tool="${tool}",[^}]*\\} (\\d+)`, 'gm')),
    ];
    return counted.reduce((sum, [, value]) => sum + Number(value), 0);
  };

  it('refuses a 2025-03-26 batch holding one call the token lacks the scope for with 403, before any call in it runs', async () => {
    const { provider, client } = await readOnlyConnector();
    await client.close();
    const token = provider.saved!.access_token;
    const content = 'stored by a batch with a read-only token';
    const search = {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'memory_search', arguments: { query: 'batch' } },
    };
    const store = {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'memory_store', arguments: { content } },
    };
    const postBatch = (batch: object[]) => postToMcp(token, batch, { 'mcp-protocol-version': '2025-03-26' });
    const searches = await callsOf('memory_search');
    for (const batch of [
      [search, store],
      [store, search],
    ]) {
      const refused = await postBatch(batch);
      assert.equal(refused.status, 403);
      assert.equal(
        refused.headers.get('www-authenticate'),
        `Bearer error="insufficient_scope", error_description="memory_store needs the write scope", ` +
          `scope="write", resource_metadata="${metadataUrl}"`,
      );
    }
    assert.equal(await callsOf('memory_search'), searches, 'the call the token may make did not run either');
    assert.ok(!(await storedInNamespace()).includes(content));

    const allowed = await postBatch([search, { ...search, id: 3 }]);
    assert.equal(allowed.status, 200, 'a batch within the token’s scope is served');
    const answers = (await allowed.json()) as { id: number; result?: unknown }[];
    assert.deepEqual(answers.map((answer) => [answer.id, answer.result !== undefined]).sort(), [
      [1, true],
      [3, true],
    ]);
    assert.equal(await callsOf('memory_search'), searches + 2, 'the counter the refusals left alone counts these');
  });

  it('lets the SDK transport step up on a refused batch and send it again whole, every call in it then served', async () => {
    const { provider, client, transport } = await readOnlyConnector();
    await client.close();
    const retried = new StreamableHTTPClientTransport(mcpUrl(), { authProvider: provider });
    const answered: { id?: unknown; result?: unknown }[] = [];
    retried.onmessage = (message) => answered.push(message as { id?: unknown; result?: unknown });
    await retried.start();
    retried.setProtocolVersion('2025-03-26');
    const content = 'stored by a batch after stepping up';
    const batch = [
      {
        jsonrpc: '2.0' as const,
        id: 1,
        method: 'tools/call',
        params: { name: 'memory_search', arguments: { query: 'step' } },
      },
      {
        jsonrpc: '2.0' as const,
        id: 2,
        method: 'tools/call',
        params: { name: 'memory_store', arguments: { content } },
      },
    ];
    try {
      await assert.rejects(retried.send(batch), UnauthorizedError);
      assert.equal(answered.length, 0, 'nothing of the batch was answered');
      assert.ok(provider.authorizationUrl?.searchParams.get('scope')?.split(' ').includes('write'));
      await approve(provider, transport, ['read', 'write']);
      await retried.send(batch);
      assert.deepEqual(answered.map((answer) => [answer.id, answer.result !== undefined]).sort(), [
        [1, true],
        [2, true],
      ]);
      assert.equal((await storedInNamespace()).filter((stored) => stored === content).length, 1);
    } finally {
      await retried.close();
    }
  });

  it('keeps the tool error for an API key without the scope: a key cannot step up', async () => {
    const created = await api.request('POST', '/api/admin/keys', {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
      body: { name: 'read-only', scopes: ['read'], namespace: NAMESPACE },
    });
    assert.equal(created.status, 201);
    const key = created.body.key as string;
    const raw = await postMcp(key, {
      method: 'tools/call',
      params: { name: 'memory_store', arguments: { content: 'k' } },
    });
    assert.equal(raw.status, 200);
    assert.equal(raw.headers.get('www-authenticate'), null);

    const { client } = await connectHttpClient(base, key, 'v2-legacy');
    try {
      const refused = await callTool(client, 'memory_store', { content: 'written with a read-only key' });
      assert.equal(refused.isError, true);
      assert.match(refused.text, /memory_store needs the "write" scope; the credential has: read/);
    } finally {
      await client.close();
    }
    assert.ok(!(await storedInNamespace()).includes('written with a read-only key'));
  });
});
