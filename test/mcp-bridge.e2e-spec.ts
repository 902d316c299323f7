import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import {
  API_KEY,
  assertAgentProgress,
  callTool,
  cancelledRuns,
  CLI,
  CLIENT_KINDS,
  McpFixture,
  SLOW,
  startMcpFixture,
  stdioClient,
  waitFor,
} from './mcp-fixture';
import { inheritedEnv } from './process-harness';

describe('engram mcp --url: the stdio bridge to a remote Engram, both protocol eras', () => {
  let fixture: McpFixture;
  before(async () => {
    fixture = await startMcpFixture();
  });
  after(() => fixture.stop());

  for (const kind of CLIENT_KINDS) {
    it(`bridges a ${kind} client's stdio to the api over Streamable HTTP, progress and cancellation included`, async () => {
      const connected = await stdioClient(fixture, kind, ['--url', `${fixture.api.url}/mcp`, '--api-key', API_KEY]);
      try {
        const stored = await callTool(connected.client, 'memory_store', {
          content: `Stored through the bridge by ${kind}`,
          tags: ['bridge'],
        });
        assert.equal(stored.structured.created, true);
        const search = await callTool(connected.client, 'search', { query: 'bridge' });
        assert.equal(search.content.length, 1);
        await assertAgentProgress(connected);

        const before = await cancelledRuns(fixture.api.url);
        const question = `${SLOW} (bridge, ${kind})`;
        const controller = new AbortController();
        const slow = connected.call('use_memory_agent', { question }, { signal: controller.signal, timeout: 120_000 });
        await waitFor(() => fixture.model.requestsFor(question).length > 0, 'the agent to ask the model');
        controller.abort('stop');
        await assert.rejects(slow);
        await waitFor(
          async () => (await cancelledRuns(fixture.api.url)) > before,
          'the api to end the run as cancelled',
        );
      } finally {
        await connected.client.close();
      }
    });
  }

  it('reads the MCP Memory Service guide variables and maps its /api endpoint to /mcp', async () => {
    const { client } = await stdioClient(fixture, 'sdk-v1', [], {
      MCP_MEMORY_HTTP_ENDPOINT: `${fixture.api.url}/api`,
      MCP_MEMORY_API_KEY: API_KEY,
    });
    try {
      const health = await callTool(client, 'memory_health');
      assert.equal(health.structured.status, 'healthy');
    } finally {
      await client.close();
    }
  });

  it('bridge with a wrong key or none fails the handshake: a 2025-era client is told which server refused and what to set', async () => {
    const mcpUrl = `${fixture.api.url}/mcp`;
    await assert.rejects(
      stdioClient(fixture, 'sdk-v1', ['--url', mcpUrl, '--api-key', 'wrong-key-0123456789']),
      (error: Error) => {
        assert.match(error.message, /refused the API key \(HTTP 401\): set MCP_MEMORY_API_KEY \(or --api-key\)/);
        assert.ok(error.message.includes(mcpUrl), error.message);
        return true;
      },
    );
    await assert.rejects(
      stdioClient(fixture, 'sdk-v1', ['--url', mcpUrl]),
      /needs an API key \(HTTP 401\): set MCP_MEMORY_API_KEY \(or --api-key\) in the client's configuration/,
    );
    // A 2026-07-28 client's probe is refused the same way, so it finds no modern server to pin to.
    await assert.rejects(
      stdioClient(fixture, 'v2-modern', ['--url', mcpUrl, '--api-key', 'wrong-key-0123456789']),
      /negotiation failed/i,
    );
  });

  it("bridge refused by the remote writes only its own advice on stderr (the client's MCP log), once per request", async () => {
    const mcpUrl = `${fixture.api.url}/mcp`;
    const stderrOf = async (args: string[]) => {
      const bridge = spawn(process.execPath, [CLI, 'mcp', '--url', mcpUrl, ...args], {
        env: { ...inheritedEnv(), LOG_LEVEL: 'warn', ...fixture.env },
      });
      let stderr = '';
      bridge.stderr.on('data', (chunk) => (stderr += chunk));
      const initialize = {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'stderr-check', version: '1' } },
      };
      bridge.stdin.end(`${JSON.stringify(initialize)}\n`);
      await once(bridge, 'close');
      return stderr.split('\n').filter((line) => line !== '' && !line.startsWith('engram mcp: bridging stdio to '));
    };
    // Before, the SDK's line came first: "remote …: Error POSTing to endpoint: {…send it as \"Authorization: Bearer <key>\"…}".
    assert.deepEqual(await stderrOf(['--api-key', 'wrong-key-0123456789']), [
      `engram mcp: Engram at ${mcpUrl} refused the API key (HTTP 401): set MCP_MEMORY_API_KEY (or --api-key) to a key it accepts`,
    ]);
    assert.deepEqual(await stderrOf([]), [
      `engram mcp: Engram at ${mcpUrl} needs an API key (HTTP 401): set MCP_MEMORY_API_KEY (or --api-key) in the client's configuration`,
    ]);
  });
});
