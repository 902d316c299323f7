import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { call, ROOT, RunningApi, startApi, tempDir } from './process-harness';

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
const API_KEY = 'e2e-mcp-key-0123456789abcdef';
const run = promisify(execFile);

type ToolCall = CallToolResult & { structuredContent?: any };

async function stdioClient(args: string[], env: Record<string, string>): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'mcp', ...args],
    env: { PATH: process.env.PATH ?? '', ...env },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'engram-e2e', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

async function httpClient(url: string): Promise<Client> {
  const client = new Client({ name: 'engram-e2e-http', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL('/mcp', url), {
      requestInit: { headers: { Authorization: `Bearer ${API_KEY}` } },
    }),
  );
  return client;
}

const callTool = (client: Client, name: string, args: Record<string, unknown> = {}) =>
  client.callTool({ name, arguments: args }) as Promise<ToolCall>;

describe('MCP processes: stdio server, stdio→HTTP bridge and a third-party client', () => {
  let dir: string;
  let db: string;
  let api: RunningApi;

  before(async () => {
    dir = tempDir();
    db = join(dir, 'engram.db');
    api = await startApi({ MCP_API_KEY: API_KEY, MCP_MEMORY_SQLITE_PATH: db }, dir);
  });
  after(async () => {
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the catalog over stdio on the database the api also uses', async () => {
    const client = await stdioClient([], { MCP_MEMORY_SQLITE_PATH: db, HOME: dir, LOG_LEVEL: 'warn' });
    try {
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      for (const name of ['memory_store', 'memory_search', 'search', 'fetch', 'retrieve_memory']) {
        assert.ok(names.includes(name), name);
      }
      const stored = await callTool(client, 'memory_store', {
        content: 'Stored over stdio: the release train leaves every second Tuesday',
        tags: ['stdio'],
      });
      assert.equal(stored.structuredContent.created, true);
      const hash = stored.structuredContent.content_hash;
      const viaRest = await call(api.url, 'GET', `/api/memories/${hash}`, undefined, { 'x-api-key': API_KEY });
      assert.equal(viaRest.status, 200);

      const byN = await callTool(client, 'retrieve_memory', { query: 'release train schedule', n_results: 1 });
      assert.equal(byN.structuredContent.results[0].content_hash, hash);
      const byLimit = await callTool(client, 'retrieve_memory', { query: 'release train schedule', limit: 1 });
      assert.equal(byLimit.structuredContent.results[0].content_hash, hash);
      const stats = await client.readResource({ uri: 'memory://stats' });
      assert.match((stats.contents[0] as { text: string }).text, /"total_memories": 1/);
      const invalid = await callTool(client, 'memory_get', { content_hash: 'nope' });
      assert.equal(invalid.isError, true);
    } finally {
      await client.close();
    }
  });

  it('bridges stdio to the api over Streamable HTTP with the API key', async () => {
    const client = await stdioClient(['--url', `${api.url}/mcp`, '--api-key', API_KEY], { HOME: dir });
    try {
      const stored = await callTool(client, 'memory_store', { content: 'Stored through the bridge', tags: ['bridge'] });
      assert.equal(stored.structuredContent.created, true);
      const viaRest = await call(api.url, 'GET', '/api/memories?tag=bridge', undefined, { 'x-api-key': API_KEY });
      assert.equal(viaRest.body.total, 1);
      const search = await callTool(client, 'search', { query: 'bridge' });
      assert.equal((search.content as { type: string }[]).length, 1);
    } finally {
      await client.close();
    }
  });

  it('reads the MCP Memory Service guide variables and maps its /api endpoint to /mcp', async () => {
    const client = await stdioClient([], {
      HOME: dir,
      MCP_MEMORY_HTTP_ENDPOINT: `${api.url}/api`,
      MCP_MEMORY_API_KEY: API_KEY,
    });
    try {
      const health = await callTool(client, 'memory_health');
      assert.equal(health.structuredContent.status, 'healthy');
    } finally {
      await client.close();
    }
  });

  it('bridge with a wrong key fails the handshake with a message naming the server', async () => {
    await assert.rejects(
      stdioClient(['--url', `${api.url}/mcp`, '--api-key', 'wrong-key-0123456789'], { HOME: dir }),
      /unreachable or refused|401/,
    );
  });

  it('works with the MCP Inspector CLI over HTTP and through the bridge', async () => {
    const env = { ...process.env, HOME: dir, MCP_CATALOG_PATH: join(dir, 'inspector.json') };
    const auth = `Authorization: Bearer ${API_KEY}`;
    const listed = await run(
      process.execPath,
      [INSPECTOR, '--cli', `${api.url}/mcp`, '--transport', 'http', '--header', auth, '--method', 'tools/list'],
      { env, timeout: 60_000 },
    );
    const tools = JSON.parse(listed.stdout).tools.map((tool: { name: string }) => tool.name);
    assert.ok(tools.includes('memory_store'));

    const stored = await run(
      process.execPath,
      [
        INSPECTOR,
        '--cli',
        `${api.url}/mcp`,
        '--transport',
        'http',
        '--header',
        auth,
        '--method',
        'tools/call',
        '--tool-name',
        'memory_store',
        '--tool-arg',
        'content=Stored by the MCP Inspector',
      ],
      { env, timeout: 60_000 },
    );
    assert.equal(JSON.parse(stored.stdout).structuredContent.created, true);

    const bridged = await run(
      process.execPath,
      [
        INSPECTOR,
        '--cli',
        process.execPath,
        CLI,
        'mcp',
        '--url',
        `${api.url}/mcp`,
        '--api-key',
        API_KEY,
        '--method',
        'tools/list',
      ],
      { env, timeout: 60_000 },
    );
    assert.ok(JSON.parse(bridged.stdout).tools.some((tool: { name: string }) => tool.name === 'fetch'));
  });

  it('serves 50 concurrent HTTP tool calls while a stdio process writes the same database', async () => {
    const before = (await call(api.url, 'GET', '/api/memories?page_size=1', undefined, { 'x-api-key': API_KEY })).body
      .total as number;
    const stdio = await stdioClient([], { MCP_MEMORY_SQLITE_PATH: db, HOME: dir, LOG_LEVEL: 'warn' });
    const clients = await Promise.all(Array.from({ length: 5 }, () => httpClient(api.url)));
    try {
      const httpCalls = Array.from({ length: 50 }, (_, i) =>
        callTool(clients[i % clients.length], 'memory_store', {
          content: `concurrent http memory ${i}`,
          tags: ['load'],
        }),
      );
      const stdioCalls = Array.from({ length: 25 }, (_, i) =>
        callTool(stdio, 'memory_store', { content: `concurrent stdio memory ${i}`, tags: ['load'] }),
      );
      const results = await Promise.all([...httpCalls, ...stdioCalls]);
      for (const result of results) {
        assert.equal(result.isError, undefined, JSON.stringify(result.content));
        assert.equal(result.structuredContent.created, true);
      }
      const after = await call(api.url, 'GET', '/api/memories?page_size=1', undefined, { 'x-api-key': API_KEY });
      assert.equal(after.body.total, before + 75);
      const tagged = await callTool(clients[0], 'memory_list', { tags: ['load'], page_size: 1 });
      assert.equal(tagged.structuredContent.total, 75);
    } finally {
      await Promise.all([stdio.close(), ...clients.map((client) => client.close())]);
    }
  });
});
