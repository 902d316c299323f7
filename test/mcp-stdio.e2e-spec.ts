import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  API_KEY,
  assertAgentProgress,
  callTool,
  CLI,
  CLIENT_KINDS,
  mcpClients,
  McpFixture,
  SLOW,
  startMcpFixture,
  stdioClient,
  waitFor,
} from './mcp-fixture';
import { call, inheritedEnv, ROOT, tempDir } from './process-harness';

/** docs/mcp.md's claude_desktop_config.json for a local Engram, its placeholder paths put here. */
function documentedClaudeDesktopServer(dataDir: string): {
  command: string;
  args: string[];
  env: Record<string, string>;
} {
  const doc = readFileSync(join(ROOT, 'docs', 'mcp.md'), 'utf8');
  const section = doc.slice(doc.indexOf('### Claude Desktop, local (stdio)'));
  const json = /```json\n([\s\S]*?)```/.exec(section)![1];
  const here = (text: string) => text.replaceAll('/path/to/engram/data', dataDir).replaceAll('/path/to/engram', ROOT);
  return JSON.parse(here(json)).mcpServers.engram;
}

describe("MCP over stdio for both protocol eras (engram mcp, and the bridge's end of input)", () => {
  let fixture: McpFixture;
  before(async () => {
    fixture = await startMcpFixture();
  });
  after(() => fixture.stop());

  /**
   * Runs `engram mcp` (with `bridge`, a bridge to the fixture's api) on these messages, a line each, until it
   * exits at the end of its input; wants exit 0 and answers what it wrote, parsed.
   */
  async function printfTo(
    bridge: boolean,
    messages: readonly unknown[],
    env: NodeJS.ProcessEnv = { ...inheritedEnv(), ...fixture.env },
  ): Promise<{ stdout: string; answers: any[] }> {
    const args = bridge ? [CLI, 'mcp', '--url', `${fixture.api.url}/mcp`, '--api-key', API_KEY] : [CLI, 'mcp'];
    const child = spawn(process.execPath, args, { env });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    // A string is sent as the line it is (for lines that are not JSON-RPC); anything else as its JSON.
    const lines = messages.map((message) => (typeof message === 'string' ? message : JSON.stringify(message)));
    child.stdin.end(lines.join('\n') + '\n');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    const answers = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    return { stdout, answers };
  }

  for (const kind of CLIENT_KINDS) {
    it(`serves the catalog over stdio to a ${kind} client on the database the api also uses`, async () => {
      const { client, era } = await stdioClient(fixture, kind, []);
      try {
        assert.equal(era, kind === 'v2-modern' ? 'modern' : 'legacy');
        const names = (await client.listTools()).tools.map((tool: { name: string }) => tool.name);
        for (const name of [
          'memory_store',
          'memory_search',
          'search',
          'fetch',
          'retrieve_memory',
          'use_memory_agent',
        ]) {
          assert.ok(names.includes(name), name);
        }
        const content = `Stored over stdio by ${kind}: the release train leaves every second Tuesday`;
        const stored = await callTool(client, 'memory_store', { content, tags: ['stdio', kind] });
        assert.equal(stored.structured.created, true);
        const hash = stored.structured.content_hash;
        const viaRest = await call(fixture.api.url, 'GET', `/api/memories/${hash}`, undefined, {
          'x-api-key': API_KEY,
        });
        assert.equal(viaRest.status, 200);
        const found = await callTool(client, 'retrieve_memory', { query: `release train ${kind}`, n_results: 1 });
        assert.equal(found.structured.results[0].content_hash, hash);
        const stats = await client.readResource({ uri: 'memory://stats' });
        assert.match(stats.contents[0].text, /"total_memories":[1-9]/);
        const invalid = await callTool(client, 'memory_get', { content_hash: 'nope' });
        assert.equal(invalid.isError, true);
        assert.match(invalid.text, /content_hash/);
        // Held to the rule of an HTTP body: a NUL reached PostgreSQL as a tag and failed on the server.
        const nul = await callTool(client, 'memory_store', { content: `NUL by ${kind}`, tags: ['a\u0000b'] });
        assert.equal(nul.isError, true);
        assert.match(nul.text, /^arguments: tags\.0 holds a NUL character/);
        // A resource URI too: read as a URL, a NUL at either end was dropped and the stats were read.
        for (const uri of ['memory://stats\u0000', '\u0000memory://tags', 'memory://recent/\u00005']) {
          await assert.rejects(client.readResource({ uri }), (error: { code: number; message: string }) => {
            assert.equal(error.code, -32602, `${JSON.stringify(uri)}: ${error.message}`);
            assert.match(error.message, /uri holds a NUL character/);
            return true;
          });
        }
        // Over HTTP the body parser refuses the request (400, a JSON-RPC error naming params.uri).
        const viaHttp = await mcpClients.connectHttpClient(fixture.api.url, API_KEY, kind);
        try {
          await assert.rejects(
            viaHttp.client.readResource({ uri: 'memory://stats\u0000' }),
            /-32600.*Request body: params\.uri holds a NUL character/,
          );
        } finally {
          await viaHttp.client.close();
        }
      } finally {
        await client.close();
      }
    });

    it(`reports use_memory_agent progress over stdio to a ${kind} client, and stops the run when it cancels`, async () => {
      const connected = await stdioClient(fixture, kind, []);
      try {
        await assertAgentProgress(connected);

        const question = `${SLOW} (stdio, ${kind})`;
        const controller = new AbortController();
        const slow = connected.call('use_memory_agent', { question }, { signal: controller.signal, timeout: 120_000 });
        await waitFor(() => fixture.model.requestsFor(question).length > 0, 'the agent to ask the model');
        controller.abort('stop');
        await assert.rejects(slow);
        // The stdio process stops the run and answers the next call at once.
        const after = await callTool(connected.client, 'memory_stats');
        assert.equal(after.isError, undefined);
      } finally {
        await connected.client.close();
      }
    });
  }

  for (const stdio of [false, true]) {
    it(`answers every request it received before exiting on end of input (${stdio ? 'bridge' : 'stdio'}, both eras)`, async () => {
      const modern = (id: number, method: string, params: Record<string, unknown>) => ({
        jsonrpc: '2.0',
        id,
        method,
        params: {
          ...params,
          _meta: {
            'io.modelcontextprotocol/protocolVersion': '2026-07-28',
            'io.modelcontextprotocol/clientInfo': { name: 'printf', version: '1' },
            'io.modelcontextprotocol/clientCapabilities': {},
          },
        },
      });
      const legacy = [
        {
          jsonrpc: '2.0',
          id: 0,
          method: 'initialize',
          params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'printf', version: '1' } },
        },
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        ...[1, 2, 3].map((id) => ({
          jsonrpc: '2.0',
          id,
          method: 'tools/call',
          params: { name: 'memory_store', arguments: { content: `printf legacy ${stdio} ${id}` } },
        })),
      ];
      const modernBatch = [1, 2, 3].map((id) =>
        modern(id, 'tools/call', { name: 'memory_store', arguments: { content: `printf modern ${stdio} ${id}` } }),
      );
      for (const [messages, expected] of [
        [legacy, [0, 1, 2, 3]],
        [modernBatch, [1, 2, 3]],
      ] as const) {
        const { stdout, answers } = await printfTo(stdio, messages);
        const answered = answers.filter((message) => 'id' in message);
        assert.deepEqual(answered.map((message) => message.id).sort(), [...expected], stdout);
        for (const message of answered) assert.equal(message.error, undefined, JSON.stringify(message));
      }
    });
  }

  for (const bridge of [false, true]) {
    it(`answers a JSON-RPC batch line with Invalid Request for each request in it, and keeps serving (${bridge ? 'bridge' : 'stdio'})`, async () => {
      const messages = [
        {
          jsonrpc: '2.0',
          id: 0,
          method: 'initialize',
          params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'printf', version: '1' } },
        },
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        [
          { jsonrpc: '2.0', id: 1, method: 'tools/list' },
          { jsonrpc: '2.0', id: 'two', method: 'ping' },
        ],
        [],
        { jsonrpc: '2.0', id: 3, method: 'ping' },
      ];
      const { stdout, answers: lines } = await printfTo(bridge, messages);
      const answers = new Map(lines.map((message) => [message.id, message]));
      // Before, the SDK dropped the batch line with a warning on stderr: no answer for 1 or 'two'.
      for (const id of [1, 'two', null]) {
        assert.equal(answers.get(id)?.error?.code, -32600, `${id}: ${stdout}`);
        assert.match(answers.get(id).error.message, /^Invalid Request: JSON-RPC batches are not supported over stdio/);
      }
      assert.deepEqual(answers.get(3)?.result, {}, stdout);
      assert.deepEqual([...answers.keys()].sort(), [0, 1, 3, null, 'two'].sort(), stdout);
    });
  }

  for (const bridge of [false, true]) {
    it(`answers a line it cannot read instead of skipping it, and keeps serving (${bridge ? 'bridge' : 'stdio'})`, async () => {
      const initialize = {
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'printf', version: '1' } },
      };
      const messages = [
        initialize,
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        'tools/list please',
        { id: 1, method: 'ping' },
        { jsonrpc: '2.0', id: 2, method: 'ping' },
      ];
      const { stdout, answers } = await printfTo(bridge, messages);
      // Before, the SDK skipped both lines in silence: no answer at all, and none for id 1.
      assert.deepEqual(
        answers.filter((answer) => answer.error).map((answer) => [answer.id, answer.error.code]),
        [
          [null, -32700],
          [1, -32600],
        ],
        stdout,
      );
      assert.deepEqual(answers.find((answer) => answer.id === 2)?.result, {}, stdout);
    });
  }

  it('answers a line over ENGRAM_MAX_BODY_BYTES with its id, unread, and keeps serving', async () => {
    const initialize = {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'printf', version: '1' } },
    };
    const content = `too long to store ${'x'.repeat(4096)}`;
    const messages = [
      initialize,
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'memory_store', arguments: { content } } },
      { jsonrpc: '2.0', id: 2, method: 'ping' },
    ];
    const env = { ...inheritedEnv(), ...fixture.env, ENGRAM_MAX_BODY_BYTES: '2048' };
    const { stdout, answers } = await printfTo(false, messages, env);
    const refused = answers.find((answer) => answer.id === 1);
    assert.equal(refused?.error?.code, -32600, stdout);
    assert.match(refused.error.message, /over 2048 bytes was skipped unread/);
    assert.deepEqual(answers.find((answer) => answer.id === 2)?.result, {}, stdout);
  });

  it('answers params a method cannot take with Invalid params naming the field, over stdio as over HTTP', async () => {
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'printf', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    const messages = [
      { jsonrpc: '2.0', id: 1, method: 'initialize', params: { capabilities: {} } },
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'printf', version: '1' } },
      },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 3, method: 'resources/read', params: {} },
      { jsonrpc: '2.0', id: 4, method: 'tools/list', params: { cursor: 1 } },
      { jsonrpc: '2.0', id: 5, method: 'resources/read', params: { uri: 1, _meta: meta } },
    ];
    const { stdout, answers } = await printfTo(false, messages, { PATH: process.env.PATH ?? '', ...fixture.env });
    const errors = answers
      .filter((message) => message.id !== 2)
      .map((message) => [message.id, message.error?.code, message.error?.message.replace(/: Invalid input.*/, '')]);
    assert.deepEqual(
      errors.sort(([a], [b]) => a - b),
      [
        [1, -32602, 'Invalid params for initialize: params.protocolVersion'],
        [3, -32602, 'Invalid params for resources/read: params.uri'],
        [4, -32602, 'Invalid params for tools/list: params.cursor'],
        [5, -32602, 'Invalid params for resources/read: params.uri'],
      ],
      stdout,
    );
  });

  it('started as docs/mcp.md configures Claude Desktop, from a folder of the client’s choosing, keeps its files beside the database', async () => {
    const dataDir = tempDir();
    const clientFolder = tempDir();
    const server = documentedClaudeDesktopServer(dataDir);
    const { client } = await mcpClients.connectStdioClient('sdk-v1', {
      ...server,
      env: { ...inheritedEnv(), LOG_LEVEL: 'warn', HOME: tempDir(), ...server.env },
      cwd: clientFolder,
    });
    try {
      const stored = await callTool(client, 'memory_store', {
        content: 'Stored by a desktop client from its own folder',
      });
      assert.equal(stored.structured.created, true);
    } finally {
      await client.close();
    }
    assert.ok(existsSync(join(dataDir, 'engram.db')));
    assert.ok(
      existsSync(join(dataDir, 'memory')),
      'the memory directory is beside the database, where the api keeps it',
    );
    assert.deepEqual(readdirSync(clientFolder), [], 'nothing is written into the folder the client started it in');
  });

  it('serves 50 concurrent HTTP tool calls of both eras while a stdio process writes the same database', async () => {
    const before = (
      await call(fixture.api.url, 'GET', '/api/memories?page_size=1', undefined, { 'x-api-key': API_KEY })
    ).body.total as number;
    const stdio = await stdioClient(fixture, 'sdk-v1', []);
    const clients = await Promise.all(
      ['sdk-v1', 'v2-modern', 'v2-legacy', 'v2-modern', 'sdk-v1'].map((kind) =>
        mcpClients.connectHttpClient(fixture.api.url, API_KEY, kind),
      ),
    );
    try {
      const httpCalls = Array.from({ length: 50 }, (_, i) =>
        callTool(clients[i % clients.length].client, 'memory_store', {
          content: `concurrent http memory ${i}`,
          tags: ['load'],
        }),
      );
      const stdioCalls = Array.from({ length: 25 }, (_, i) =>
        callTool(stdio.client, 'memory_store', { content: `concurrent stdio memory ${i}`, tags: ['load'] }),
      );
      const results = await Promise.all([...httpCalls, ...stdioCalls]);
      for (const result of results) {
        assert.equal(result.isError, undefined, JSON.stringify(result.content));
        assert.equal(result.structured.created, true);
      }
      const after = await call(fixture.api.url, 'GET', '/api/memories?page_size=1', undefined, {
        'x-api-key': API_KEY,
      });
      assert.equal(after.body.total, before + 75);
    } finally {
      await Promise.all([stdio.client.close(), ...clients.map((connected: any) => connected.client.close())]);
    }
  });
});
