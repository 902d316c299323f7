import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { serviceHelper } from './engram-cli';
import { call, ROOT, RunningApi, startApi, tempDir } from './process-harness';

const mcpClients = serviceHelper('testing/mcp-client.js');
const { startMemAgentTestDouble, act, answer } = serviceHelper('testing/mem-agent.test-double.js');
const { waitFor } = serviceHelper('testing/wait-for.js');
const CLIENT_KINDS: readonly ClientKind[] = mcpClients.CLIENT_KINDS;
type ClientKind = 'sdk-v1' | 'v2-legacy' | 'v2-modern';

const CLI = join(ROOT, 'services', 'engram', 'dist', 'cli', 'engram.js');
const INSPECTOR = join(
  ROOT,
  'node_modules',
  '@modelcontextprotocol',
  'inspector',
  'clients',
  'launcher',
  'build',
  'index.js',
);
const MCP_REMOTE = join(ROOT, 'node_modules', 'mcp-remote', 'dist', 'proxy.js');
const API_KEY = 'e2e-mcp-key-0123456789abcdef';
const SLOW = 'Think for a very long time';
const run = promisify(execFile);

/** The model double's conversations: a two-turn answer (two progress notes) and one that never ends. */
const SCENARIOS = [
  {
    question: 'What files do you keep?',
    turns: [act('List them.', 'tree = list_files()'), answer('Listed.', 'I keep user.md.')],
  },
  { question: SLOW, turns: [{ content: answer('Done.', 'Too late.'), delayMs: 60_000 }] },
];

describe('MCP processes of both protocol eras: stdio, the bridge, third-party clients, two api processes', () => {
  let dir: string;
  let db: string;
  let model: any;
  let api: RunningApi;
  let env: Record<string, string>;

  const callTool = (client: any, name: string, args: Record<string, unknown> = {}) =>
    mcpClients.callTool(client, name, args);
  const stdioClient = (kind: ClientKind, args: string[], extra: Record<string, string> = {}) =>
    mcpClients.connectStdioClient(kind, {
      command: process.execPath,
      args: [CLI, 'mcp', ...args],
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env, ...extra },
    });
  /** A two-turn agent answer arrives with one growing progress note per model call. */
  const assertAgentProgress = async (connected: any) => {
    const progress: number[] = [];
    const result = await connected.call(
      'use_memory_agent',
      { question: 'What files do you keep?' },
      { onprogress: (note: { progress: number }) => progress.push(note.progress), timeout: 120_000 },
    );
    assert.equal(result.structuredContent.reply, 'I keep user.md.');
    assert.deepEqual(progress, [1, 2]);
  };
  const cancelledRuns = async (url: string) => {
    const metrics = await fetch(`${url}/metrics`, { headers: { 'x-api-key': API_KEY } }).then((r) => r.text());
    return Number(/engram_agent_runs_total\{outcome="cancelled"\} (\d+)/.exec(metrics)?.[1] ?? 0);
  };

  before(async () => {
    dir = tempDir();
    db = join(dir, 'engram.db');
    model = await startMemAgentTestDouble(SCENARIOS);
    env = {
      HOME: dir,
      MCP_MEMORY_SQLITE_PATH: db,
      MEMORY_DIR: join(dir, 'memory'),
      ENGRAM_AGENT_BASE_URL: model.url,
    };
    api = await startApi({ ...env, MCP_API_KEY: API_KEY }, dir);
  });
  after(async () => {
    await api.stop();
    await model.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const kind of CLIENT_KINDS) {
    it(`serves the catalog over stdio to a ${kind} client on the database the api also uses`, async () => {
      const { client, era } = await stdioClient(kind, []);
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
        const viaRest = await call(api.url, 'GET', `/api/memories/${hash}`, undefined, { 'x-api-key': API_KEY });
        assert.equal(viaRest.status, 200);
        const found = await callTool(client, 'retrieve_memory', { query: `release train ${kind}`, n_results: 1 });
        assert.equal(found.structured.results[0].content_hash, hash);
        const stats = await client.readResource({ uri: 'memory://stats' });
        assert.match(stats.contents[0].text, /"total_memories": [1-9]/);
        const invalid = await callTool(client, 'memory_get', { content_hash: 'nope' });
        assert.equal(invalid.isError, true);
        assert.match(invalid.text, /content_hash/);
      } finally {
        await client.close();
      }
    });

    it(`reports use_memory_agent progress over stdio to a ${kind} client, and stops the run when it cancels`, async () => {
      const connected = await stdioClient(kind, []);
      try {
        await assertAgentProgress(connected);

        const question = `${SLOW} (stdio, ${kind})`;
        const controller = new AbortController();
        const slow = connected.call('use_memory_agent', { question }, { signal: controller.signal, timeout: 120_000 });
        await waitFor(() => model.requestsFor(question).length > 0, 'the agent to ask the model');
        controller.abort('stop');
        await assert.rejects(slow);
        // The stdio process stops the run and answers the next call at once.
        const after = await callTool(connected.client, 'memory_stats');
        assert.equal(after.isError, undefined);
      } finally {
        await connected.client.close();
      }
    });

    it(`bridges a ${kind} client's stdio to the api over Streamable HTTP, progress and cancellation included`, async () => {
      const connected = await stdioClient(kind, ['--url', `${api.url}/mcp`, '--api-key', API_KEY]);
      try {
        const stored = await callTool(connected.client, 'memory_store', {
          content: `Stored through the bridge by ${kind}`,
          tags: ['bridge'],
        });
        assert.equal(stored.structured.created, true);
        const search = await callTool(connected.client, 'search', { query: 'bridge' });
        assert.equal(search.content.length, 1);
        await assertAgentProgress(connected);

        const before = await cancelledRuns(api.url);
        const question = `${SLOW} (bridge, ${kind})`;
        const controller = new AbortController();
        const slow = connected.call('use_memory_agent', { question }, { signal: controller.signal, timeout: 120_000 });
        await waitFor(() => model.requestsFor(question).length > 0, 'the agent to ask the model');
        controller.abort('stop');
        await assert.rejects(slow);
        await waitFor(async () => (await cancelledRuns(api.url)) > before, 'the api to end the run as cancelled');
      } finally {
        await connected.client.close();
      }
    });
  }

  it('reads the MCP Memory Service guide variables and maps its /api endpoint to /mcp', async () => {
    const { client } = await stdioClient('sdk-v1', [], {
      MCP_MEMORY_HTTP_ENDPOINT: `${api.url}/api`,
      MCP_MEMORY_API_KEY: API_KEY,
    });
    try {
      const health = await callTool(client, 'memory_health');
      assert.equal(health.structured.status, 'healthy');
    } finally {
      await client.close();
    }
  });

  it('bridge with a wrong key fails the handshake: a 2025-era client is told which server refused', async () => {
    await assert.rejects(
      stdioClient('sdk-v1', ['--url', `${api.url}/mcp`, '--api-key', 'wrong-key-0123456789']),
      /unreachable or refused|401/,
    );
    // A 2026-07-28 client's probe is refused the same way, so it finds no modern server to pin to.
    await assert.rejects(
      stdioClient('v2-modern', ['--url', `${api.url}/mcp`, '--api-key', 'wrong-key-0123456789']),
      /negotiation failed/i,
    );
  });

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
        const args = stdio ? [CLI, 'mcp', '--url', `${api.url}/mcp`, '--api-key', API_KEY] : [CLI, 'mcp'];
        const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env } });
        let stdout = '';
        child.stdout.on('data', (chunk) => (stdout += chunk));
        child.stdin.end(messages.map((message) => JSON.stringify(message)).join('\n') + '\n');
        const [code] = await once(child, 'exit');
        assert.equal(code, 0);
        const answered = stdout
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line))
          .filter((message) => 'id' in message);
        assert.deepEqual(answered.map((message) => message.id).sort(), [...expected], stdout);
        for (const message of answered) assert.equal(message.error, undefined, JSON.stringify(message));
      }
    });
  }

  for (const era of ['legacy', 'modern'] as const) {
    it(`works with the MCP Inspector CLI over HTTP and through the bridge (${era} era), with portable tool schemas`, async () => {
      const inspectorEnv = { ...process.env, HOME: dir, MCP_CATALOG_PATH: join(dir, `inspector-${era}.json`) };
      const inspect = (target: string[], method: string[]) =>
        run(
          process.execPath,
          [INSPECTOR, '--cli', '--protocol-era', era, '--connect-timeout', '60000', ...target, ...method],
          {
            env: inspectorEnv,
            timeout: 60_000,
          },
        );
      const http = [`${api.url}/mcp`, '--transport', 'http', '--header', `Authorization: Bearer ${API_KEY}`];

      const listed = await inspect(http, ['--method', 'tools/list', '--strict']);
      assert.ok(JSON.parse(listed.stdout).tools.some((tool: { name: string }) => tool.name === 'memory_store'));
      assert.doesNotMatch(listed.stderr, /portability|Warning:|Error:/, listed.stderr);

      const stored = await inspect(http, [
        '--method',
        'tools/call',
        '--tool-name',
        'memory_store',
        '--tool-arg',
        `content=Stored by the MCP Inspector (${era})`,
      ]);
      assert.equal(JSON.parse(stored.stdout).structuredContent.created, true);

      // The Inspector exits 5 when a tool answers isError: true.
      await assert.rejects(
        inspect(http, ['--method', 'tools/call', '--tool-name', 'memory_get', '--tool-arg', 'content_hash=abc']),
        (error: { code: number; stdout: string; stderr: string }) =>
          error.code === 5 && /tool_is_error/.test(error.stdout + error.stderr),
      );

      const resource = await inspect(http, ['--method', 'resources/read', '--uri', 'memory://stats']);
      assert.match(JSON.parse(resource.stdout).contents[0].text, /total_memories/);

      const bridged = await inspect(
        [process.execPath, CLI, 'mcp', '--url', `${api.url}/mcp`, '--api-key', API_KEY],
        ['--method', 'tools/list'],
      );
      assert.ok(JSON.parse(bridged.stdout).tools.some((tool: { name: string }) => tool.name === 'fetch'));

      await assert.rejects(
        run(
          process.execPath,
          [
            INSPECTOR,
            '--cli',
            `${api.url}/mcp`,
            '--transport',
            'http',
            '--protocol-era',
            era,
            '--method',
            'tools/list',
          ],
          {
            env: inspectorEnv,
            timeout: 60_000,
          },
        ),
        /401|Unauthorized|auth_required/i,
      );
    });
  }

  for (const protocol of ['legacy', 'auto'] as const) {
    it(`works through mcp-remote with an API key header (--protocol ${protocol}), no browser involved`, async () => {
      const connected = await mcpClients.connectStdioClient('sdk-v1', {
        command: process.execPath,
        args: [MCP_REMOTE, `${api.url}/mcp`, '--header', `Authorization:Bearer ${API_KEY}`, '--protocol', protocol],
        env: { PATH: process.env.PATH ?? '', HOME: dir, BROWSER: 'false' },
      });
      try {
        const stored = await callTool(connected.client, 'memory_store', {
          content: `Stored through mcp-remote (${protocol})`,
          tags: ['mcp-remote'],
        });
        assert.equal(stored.structured.created, true);
        const found = await callTool(connected.client, 'memory_list', { tags: ['mcp-remote'] });
        assert.ok(found.structured.total >= 1);
        const stats = await connected.client.readResource({ uri: 'memory://stats' });
        assert.match(stats.contents[0].text, /total_memories/);
        const invalid = await callTool(connected.client, 'memory_search', { query: 'x', limit: 1000 });
        assert.equal(invalid.isError, true);
        await assertAgentProgress(connected);
      } finally {
        await connected.client.close();
      }
    });
  }

  it('serves 50 concurrent HTTP tool calls of both eras while a stdio process writes the same database', async () => {
    const before = (await call(api.url, 'GET', '/api/memories?page_size=1', undefined, { 'x-api-key': API_KEY })).body
      .total as number;
    const stdio = await stdioClient('sdk-v1', []);
    const clients = await Promise.all(
      ['sdk-v1', 'v2-modern', 'v2-legacy', 'v2-modern', 'sdk-v1'].map((kind) =>
        mcpClients.connectHttpClient(api.url, API_KEY, kind),
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
      const after = await call(api.url, 'GET', '/api/memories?page_size=1', undefined, { 'x-api-key': API_KEY });
      assert.equal(after.body.total, before + 75);
    } finally {
      await Promise.all([stdio.client.close(), ...clients.map((connected: any) => connected.client.close())]);
    }
  });

  describe('two api processes on one store behind no sticky routing', () => {
    let second: RunningApi;
    before(async () => {
      second = await startApi({ ...env, MCP_API_KEY: API_KEY }, dir);
    });
    after(() => second.stop());

    /** A fetch that sends every request to the other process than the one before. */
    function alternating() {
      let turn = 0;
      const hosts = [new URL(api.url).host, new URL(second.url).host];
      const seen: string[] = [];
      const fetchBoth = (input: string | URL | Request, init?: RequestInit) => {
        const url = new URL(input instanceof Request ? input.url : input);
        url.host = hosts[turn++ % 2];
        seen.push(url.host);
        return fetch(url, init);
      };
      return { fetch: fetchBoth, seen };
    }

    it('a 2025-era client and a 2026-07-28 client alternate requests between the processes, and every call succeeds', async () => {
      const legacyRoute = alternating();
      const modernRoute = alternating();
      const legacy = await mcpClients.connectHttpClientVia(api.url, API_KEY, 'sdk-v1', legacyRoute.fetch);
      const modern = await mcpClients.connectHttpClientVia(api.url, API_KEY, 'v2-modern', modernRoute.fetch);
      try {
        for (let i = 0; i < 4; i++) {
          for (const [label, connected] of [
            ['legacy', legacy],
            ['modern', modern],
          ] as const) {
            const stored = await callTool(connected.client, 'memory_store', {
              content: `${label} note ${i} across processes`,
            });
            assert.equal(stored.isError, undefined, JSON.stringify(stored.content));
            const got = await callTool(connected.client, 'memory_get', {
              content_hash: stored.structured.content_hash,
            });
            assert.equal(got.structured.memory.content, `${label} note ${i} across processes`);
            const listed = await connected.client.listTools();
            assert.ok(listed.tools.length > 10);
            const stats = await connected.client.readResource({ uri: 'memory://stats' });
            assert.match(stats.contents[0].text, /total_memories/);
          }
        }
        for (const route of [legacyRoute, modernRoute]) assert.equal(new Set(route.seen).size, 2);
      } finally {
        await Promise.all([legacy.client.close(), modern.client.close()]);
      }
    });

    it('a 2025-era client cancels a memory-agent call that runs in the other process', async () => {
      const route = alternating();
      const legacy = await mcpClients.connectHttpClientVia(api.url, API_KEY, 'sdk-v1', route.fetch);
      try {
        const before = (await cancelledRuns(api.url)) + (await cancelledRuns(second.url));
        const question = `${SLOW} (across processes)`;
        const controller = new AbortController();
        const slow = legacy.call('use_memory_agent', { question }, { signal: controller.signal, timeout: 120_000 });
        await waitFor(() => model.requestsFor(question).length > 0, 'the agent to ask the model');
        const callHost = route.seen.at(-1);
        controller.abort('stop');
        await assert.rejects(slow);
        await waitFor(
          () => route.seen.length > 0 && route.seen.at(-1) !== callHost,
          'the cancellation to reach the other process',
        );
        await waitFor(
          async () => (await cancelledRuns(api.url)) + (await cancelledRuns(second.url)) > before,
          'the run to end as cancelled',
        );
      } finally {
        await legacy.client.close();
      }
    });
  });
});
