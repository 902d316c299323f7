import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiBackends } from '../testing/api-backends';
import { engramExport, engramExportMemory } from '../testing/import-fixtures';
import { callTool, connectHttpClient, McpTestClient } from '../testing/mcp-client';
import { startOpenAiEmbeddingsTestDouble } from '../testing/openai-embeddings.test-double';
import { startTestApp, TestApp } from '../testing/test-app';

const MINUTE_MS = 60_000;
/** Well past the five minutes a client's clock may run ahead of the server's. */
const inAnHour = () => new Date(Date.now() + 60 * MINUTE_MS).toISOString();
const AHEAD = /created_at .* is in the future \(more than 5 minutes ahead of the server's clock/;

for (const backend of apiBackends()) {
  describe(`a created_at in the future is refused at every edge (${backend.name})`, () => {
    let model: Awaited<ReturnType<typeof startOpenAiEmbeddingsTestDouble>>;
    let api: TestApp;
    let mcp: McpTestClient;
    const total = async () => (await api.request('GET', '/api/memories?page_size=1')).body.total as number;

    before(async () => {
      model = await startOpenAiEmbeddingsTestDouble({ dimension: 16 });
      api = await startTestApp({
        ENGRAM_EMBEDDING_PROVIDER: 'openai',
        MCP_EXTERNAL_EMBEDDING_URL: model.url,
        MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
        ...(await backend.env()),
      });
      mcp = (await connectHttpClient(api.url)).client;
    });
    after(async () => {
      await mcp.close();
      await api.close();
      await model.close();
      await backend.stop();
    });

    it('REST store answers 400 naming created_at (ISO or epoch seconds) and stores nothing', async () => {
      const before = await total();
      for (const createdAt of [inAnHour(), Math.round(Date.now() / 1000) + 3600]) {
        const response = await api.request('POST', '/api/memories', {
          body: { content: 'a meeting that has not happened', created_at: createdAt },
        });
        assert.equal(response.status, 400, response.text);
        assert.equal(response.body.error, 'validation_error');
        assert.match(response.body.message, AHEAD);
        assert.deepEqual(
          response.body.details.issues.map((issue: { path: string }) => issue.path),
          ['created_at'],
        );
      }
      assert.equal(await total(), before);
    });

    it("accepts a time a minute ahead (a client's clock running a little fast) and keeps it", async () => {
      const soon = new Date(Date.now() + MINUTE_MS).toISOString();
      const response = await api.request('POST', '/api/memories', {
        body: { content: 'written on a laptop whose clock runs fast', created_at: soon },
      });
      assert.equal(response.status, 201, response.text);
      assert.equal(response.body.memory.created_at_iso, soon);
    });

    it('a batch names the item and stores none of it; a supersede is refused too', async () => {
      const before = await total();
      const batch = await api.request('POST', '/api/memories/batch', {
        body: { memories: [{ content: 'fine today' }, { content: 'from tomorrow', created_at: inAnHour() }] },
      });
      assert.equal(batch.status, 400, batch.text);
      assert.match(batch.body.message, /^memories\.1: created_at .* is in the future/);
      assert.equal(batch.body.details.issues[0].path, 'memories.1.created_at');
      assert.equal(await total(), before);

      const stored = await api.request('POST', '/api/memories', { body: { content: 'the plan as it was' } });
      const superseded = await api.request('POST', `/api/memories/${stored.body.content_hash}/supersede`, {
        body: { content: 'the plan as it will be', created_at: inAnHour() },
      });
      assert.equal(superseded.status, 400, superseded.text);
      assert.match(superseded.body.message, AHEAD);
    });

    it('the MCP store tools answer a tool error naming created_at', async () => {
      const before = await total();
      for (const tool of ['memory_store', 'store_memory']) {
        const result = await callTool(mcp, tool, { content: `from the future over ${tool}`, created_at: inAnHour() });
        assert.equal(result.isError, true, tool);
        assert.match(result.text, AHEAD, tool);
      }
      assert.equal(await total(), before);
    });

    /** Imports `file` (an Engram export) and waits for the job's end. */
    async function importJob(file: string, dryRun: boolean): Promise<{ state: string; result?: any; error?: string }> {
      const form = new FormData();
      form.append('dry_run', String(dryRun));
      form.append('file', new Blob([file]), 'engram-export.ndjson');
      const queued = await fetch(`${api.url}/api/import`, { method: 'POST', body: form });
      assert.equal(queued.status, 202, await queued.clone().text());
      const { job_id: id } = (await queued.json()) as { job_id: string };
      let job: { state: string; result?: any; error?: string };
      for (const deadline = Date.now() + 60_000; ;) {
        job = (await api.request('GET', `/api/import/${id}`)).body;
        if (['completed', 'failed'].includes(job.state) || Date.now() > deadline) return job;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }

    it('an import stores the other items and reports the future one as a failure of its own, as its dry run foretold', async () => {
      const future = Date.now() + 60 * MINUTE_MS;
      const exported = engramExport([
        engramExportMemory('imported from the past'),
        engramExportMemory('imported from the future', { created_at: future, updated_at: future }),
      ]);
      const before = await total();
      for (const dryRun of [true, false]) {
        const job = await importJob(exported, dryRun);
        assert.equal(job.state, 'completed', job.error);
        assert.equal(job.result.dry_run, dryRun);
        assert.equal(job.result.stored, dryRun ? 0 : 1);
        assert.equal(job.result.failed, 1, `dry run ${dryRun}`);
        assert.equal(job.result.failures.length, 1);
        assert.match(job.result.failures[0].item, /imported from the future/);
        assert.match(job.result.failures[0].reason, AHEAD);
        if (dryRun) assert.equal(await total(), before);
      }
      const listed = await api.request('GET', '/api/memories?page_size=100');
      const contents = listed.body.memories.map((memory: { content: string }) => memory.content);
      assert.ok(contents.includes('imported from the past'));
      assert.ok(!contents.includes('imported from the future'));
    });
  });
}
