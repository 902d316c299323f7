import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { callTool, connectHttpClient } from '../testing/mcp-client';
import { captureStdout } from '../testing/stdout-capture';
import { startTestApp, TestApp } from '../testing/test-app';

const BOOTSTRAP = 'access-log-key-0123456789abcdef';

interface AccessLine {
  msg: string;
  method: string;
  route: string;
  status: number;
  durationMs: number;
  clientAddress?: string;
  principal?: { kind: string; id: string; name?: string };
  namespace?: string;
  mcpTool?: string;
}

/** Runs `work` against an api started with `env`, and returns every stdout line written meanwhile. */
function captureOutput(env: Record<string, string>, work: (api: TestApp) => Promise<void>): Promise<string> {
  return captureStdout(async () => {
    const api = await startTestApp({ MCP_API_KEY: BOOTSTRAP, ...env });
    try {
      await work(api);
    } finally {
      await api.close();
    }
  });
}

function accessLines(output: string): AccessLine[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line).message)
    .filter((message): message is AccessLine => message?.msg === 'request');
}

describe('the access log (one line per request)', () => {
  it('names the principal, namespace, client address, route pattern, status, duration and MCP tool', async () => {
    let alice = { key: '', id: '' };
    const output = await captureOutput({ LOG_LEVEL: 'info', ENGRAM_TRUSTED_PROXIES: '127.0.0.1/32' }, async (api) => {
      const created = await api.request('POST', '/api/admin/keys', {
        headers: { 'x-api-key': BOOTSTRAP },
        body: { name: 'alice laptop', scopes: ['write'], namespace: 'team-a' },
      });
      alice = created.body;
      const headers = { authorization: `Bearer ${alice.key}`, 'x-forwarded-for': '203.0.113.7' };
      assert.equal((await api.request('GET', `/api/memories/${'a'.repeat(64)}`, { headers })).status, 404);
      assert.equal((await api.request('GET', '/api/admin/keys', { headers })).status, 403);
      const wrong = { authorization: 'Bearer egk_wrong', 'x-forwarded-for': '198.51.100.3' };
      assert.equal((await api.request('GET', '/api/memories', { headers: wrong })).status, 401);
      const { client } = await connectHttpClient(api.url, alice.key);
      try {
        await callTool(client, 'memory_store', { content: 'private diary line for the access log test' });
      } finally {
        await client.close();
      }
    });
    const lines = accessLines(output);

    const lookup = lines.find((line) => line.route === '/api/memories/:hash');
    assert.ok(lookup, 'a line with the route pattern, not the raw URL');
    assert.equal(lookup.status, 404);
    assert.equal(lookup.method, 'GET');
    assert.equal(typeof lookup.durationMs, 'number');
    assert.equal(lookup.clientAddress, '203.0.113.7', 'the client address through the trusted proxy');
    assert.deepEqual(lookup.principal, { kind: 'api_key', id: alice.id, name: 'alice laptop' });
    assert.equal(lookup.namespace, 'team-a');

    const forbidden = lines.find((line) => line.status === 403);
    assert.equal(forbidden?.principal?.name, 'alice laptop', 'a refused scope still says who asked');
    assert.equal(forbidden?.route, '/api/admin/keys');

    const refused = lines.find((line) => line.status === 401);
    assert.ok(refused);
    assert.equal(refused.clientAddress, '198.51.100.3');
    assert.equal(refused.principal, undefined);

    const toolCall = lines.find((line) => line.route === '/mcp' && line.mcpTool !== undefined);
    assert.ok(toolCall, 'the tools/call line names its tool');
    assert.equal(toolCall.mcpTool, 'memory_store');
    assert.equal(toolCall.principal?.name, 'alice laptop');

    assert.ok(!output.includes(alice.key) && !output.includes(BOOTSTRAP), 'a key is in the log');
    assert.ok(!output.includes('egk_wrong'), 'a presented wrong key is in the log');
    assert.ok(!output.includes('private diary line'), 'memory content is in the log');
    assert.ok(!output.includes('/api/memories/aaaa'), 'the raw URL is in the log');
  });

  it('writes access lines at ENGRAM_ACCESS_LOG_LEVEL: off writes none, debug only under LOG_LEVEL=debug', async () => {
    const touch = async (api: TestApp) => {
      assert.equal((await api.request('GET', '/api/memories', { headers: { 'x-api-key': BOOTSTRAP } })).status, 200);
    };
    assert.equal(
      accessLines(await captureOutput({ LOG_LEVEL: 'info', ENGRAM_ACCESS_LOG_LEVEL: 'off' }, touch)).length,
      0,
    );
    assert.equal(
      accessLines(await captureOutput({ LOG_LEVEL: 'info', ENGRAM_ACCESS_LOG_LEVEL: 'debug' }, touch)).length,
      0,
    );
    const debug = accessLines(await captureOutput({ LOG_LEVEL: 'debug', ENGRAM_ACCESS_LOG_LEVEL: 'debug' }, touch));
    assert.ok(debug.some((line) => line.route === '/api/memories'));
  });
});
