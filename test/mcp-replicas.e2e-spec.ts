import assert from 'node:assert/strict';
import { E2eStorage, e2eStorages } from './e2e-storage';
import { RunningApi, startApi, tempDir } from './process-harness';
import { after, before, describe, it } from 'node:test';
import {
  API_KEY,
  callTool,
  cancelledRuns,
  mcpClients,
  McpFixture,
  SLOW,
  startMcpFixture,
  waitFor,
} from './mcp-fixture';

for (const storage of e2eStorages()) {
  describe(`MCP across two api processes on one store (${storage.name}), with no sticky routing`, () =>
    mcpAcrossProcesses(storage));
}

function mcpAcrossProcesses(storage: E2eStorage): void {
  let fixture: McpFixture;
  before(async () => {
    fixture = await startMcpFixture(await storage.start(tempDir()));
  });
  after(async () => {
    await fixture.stop();
    await storage.stop();
  });

  describe('two api processes on one store behind no sticky routing', () => {
    let second: RunningApi;
    before(async () => {
      second = await startApi({ ...fixture.env, MCP_API_KEY: API_KEY }, fixture.dir);
    });
    after(() => second.stop());

    /** A fetch that sends every request to the other process than the one before. */
    function alternating() {
      let turn = 0;
      const hosts = [new URL(fixture.api.url).host, new URL(second.url).host];
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
      const legacy = await mcpClients.connectHttpClientVia(fixture.api.url, API_KEY, 'sdk-v1', legacyRoute.fetch);
      const modern = await mcpClients.connectHttpClientVia(fixture.api.url, API_KEY, 'v2-modern', modernRoute.fetch);
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
      const legacy = await mcpClients.connectHttpClientVia(fixture.api.url, API_KEY, 'sdk-v1', route.fetch);
      try {
        const before = (await cancelledRuns(fixture.api.url)) + (await cancelledRuns(second.url));
        const question = `${SLOW} (across processes)`;
        const controller = new AbortController();
        const slow = legacy.call('use_memory_agent', { question }, { signal: controller.signal, timeout: 120_000 });
        await waitFor(() => fixture.model.requestsFor(question).length > 0, 'the agent to ask the model');
        const callHost = route.seen.at(-1);
        controller.abort('stop');
        await assert.rejects(slow);
        await waitFor(
          () => route.seen.length > 0 && route.seen.at(-1) !== callHost,
          'the cancellation to reach the other process',
        );
        await waitFor(
          async () => (await cancelledRuns(fixture.api.url)) + (await cancelledRuns(second.url)) > before,
          'the run to end as cancelled',
        );
      } finally {
        await legacy.client.close();
      }
    });
  });
}
