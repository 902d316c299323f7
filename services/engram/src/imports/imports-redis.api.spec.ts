import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobsHarness, startJobsHarness } from '../testing/job-helpers';
import { startOpenAiEmbeddingsTestDouble } from '../testing/openai-embeddings.test-double';
import { openSse } from '../testing/sse-client';
import { chatGptExport, engramExport, engramExportMemory, zipOf } from '../testing/import-fixtures';

describe('imports on BullMQ: the api takes the upload, a worker on real Redis runs the job', () => {
  let harness: JobsHarness;
  let model: Awaited<ReturnType<typeof startOpenAiEmbeddingsTestDouble>>;

  before(async () => {
    model = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'import-model' });
    harness = await startJobsHarness('bullmq', {
      ENGRAM_EMBEDDING_PROVIDER: 'openai',
      MCP_EXTERNAL_EMBEDDING_URL: model.url,
      MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
    });
  });
  after(async () => {
    await harness?.close();
    await model?.close();
  });

  async function importFile(name: string, data: Buffer | string) {
    const { api } = harness;
    const form = new FormData();
    form.append('file', new Blob([typeof data === 'string' ? data : new Uint8Array(data)]), name);
    const response = await fetch(`${api.url}/api/import`, { method: 'POST', body: form });
    const queued = (await response.json()) as any;
    assert.equal(response.status, 202, JSON.stringify(queued));
    for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
      const job = (await api.request('GET', `/api/import/${queued.job_id}`)).body;
      if (['completed', 'failed'].includes(job.state)) return job;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.fail('the import did not finish');
  }

  it('stores the export from the worker, announces progress on the event stream, and re-imports nothing twice', async () => {
    const { api } = harness;
    const events = await openSse(`${api.url}/api/events/stream?frames=named&types=job_progress,job_completed`);
    const zip = zipOf([
      { name: 'conversations.json', data: JSON.stringify(chatGptExport(40)) },
      { name: 'chat.html', data: '<html></html>' },
    ]);
    const run = () => importFile('export.zip', zip);
    const first = await run();
    assert.equal(first.state, 'completed', first.error);
    assert.equal(first.queue, 'engram-maintenance');
    assert.deepEqual([first.result.stored, first.result.duplicates, first.result.failed], [80, 0, 0]);
    const frames = await events.waitFor((all) =>
      all.some((frame) => frame.event === 'job_completed' && frame.data.includes(first.id)),
    );
    const progress = frames.filter(
      (frame) => frame.event === 'job_progress' && JSON.parse(frame.data).payload.job_id === first.id,
    );
    assert.ok(progress.length >= 2, `progress events: ${progress.length}`);
    assert.match(JSON.parse(progress.at(-1)!.data).payload.stage, /stored 80 of 80 memories/);
    events.close();
    const second = await run();
    assert.deepEqual([second.result.stored, second.result.duplicates], [0, 80]);
    assert.equal((await api.request('GET', '/api/memories?tag=chatgpt')).body.total, 80);
  });

  it('a failed import keeps, with the job on Redis, the source its file was read as (or "unknown")', async () => {
    const future = await importFile(
      'future.ndjson',
      engramExport([engramExportMemory('From a later build')], '{"format":"engram-export","version":99}'),
    );
    assert.equal(future.state, 'failed');
    assert.deepEqual(future.details, { source: 'engram', source_label: 'Engram export (NDJSON)' });
    assert.match(future.error, /not an Engram export of a version this build reads/);
    assert.match(future.stage, /checking future\.ndjson/, 'progress is kept beside the details');
    const unknown = await importFile('blob.bin', Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 0, 0]));
    assert.equal(unknown.state, 'failed');
    assert.deepEqual(unknown.details, { source: 'unknown' });
    assert.match(unknown.error, /cannot tell what kind of export this is/);
  });
});
