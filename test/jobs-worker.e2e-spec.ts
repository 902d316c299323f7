import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RunningEngram as Running, serviceHelper, startEngram } from './engram-cli';
import { call, freePort, tempDir } from './process-harness';

const { startTestRedis } = serviceHelper('testing/redis-server.js');
const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');

const MEMORIES = 5000;

async function waitForJob(url: string, id: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await call(url, 'GET', `/api/jobs/${id}`)).body;
    if (['completed', 'failed', 'cancelled'].includes(job.state)) return job;
    assert.ok(Date.now() < deadline, `job ${id} still ${job.state} (${job.stage}) after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the worker process with Redis', () => {
  const dir = tempDir();
  const dbPath = join(dir, 'engram.db');
  let redis: any;
  let modelA: any;
  let modelB: any;
  let api: Running;
  let worker: Running | undefined;
  const env = () => ({ REDIS_URL: redis.url, MCP_MEMORY_SQLITE_PATH: dbPath, ENGRAM_EMBEDDING_PROVIDER: 'openai' });
  const withModel = (model: any) => ({
    MCP_EXTERNAL_EMBEDDING_URL: model.url,
    MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
  });
  const startWorker = async (model: any, extra: Record<string, string> = {}) =>
    startEngram(
      'worker',
      { ...env(), ...withModel(model), WORKER_HTTP_PORT: String(await freePort()), ...extra },
      dir,
      'Engram worker ready',
    );

  before(async () => {
    redis = await startTestRedis();
    modelA = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'model-a' });
    modelB = await startOpenAiEmbeddingsTestDouble({ dimension: 24, model: 'model-b' });
    api = await startEngram(
      'serve',
      {
        ...env(),
        ...withModel(modelA),
        MCP_HTTP_PORT: String(await freePort()),
        // The swap of 5,000 memories can hold the write lock past the default 5 s on a loaded 2-core
        // runner; the api then answers 503 database_busy (documented). This test is about the swap itself.
        MCP_MEMORY_SQLITE_PRAGMAS: 'busy_timeout=30000',
      },
      dir,
      'Engram ready',
    );
    for (let start = 0; start < MEMORIES; start += 1000) {
      const memories = Array.from({ length: 1000 }, (_, i) => ({
        content: `memory ${start + i}: topic ${(start + i) % 101}`,
      }));
      assert.equal((await call(api.url, 'POST', '/api/memories/batch', { memories })).body.stored, 1000);
    }
  });
  after(async () => {
    await worker?.stop('SIGKILL');
    await api.stop();
    await modelA.close();
    await modelB.close();
    await redis.close();
  });

  it('serves health and metrics on its own port, and restores while clients read and write without a 5xx', async () => {
    worker = await startWorker(modelA);
    assert.deepEqual((await call(worker.url, 'GET', '/health/live')).body, { status: 'ok' });
    const ready = await call(worker.url, 'GET', '/health/ready');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.details.queue.redis, 'up');
    const backup = await waitForJob(api.url, (await call(api.url, 'POST', '/api/admin/backup')).body.job_id, 60_000);
    assert.equal(backup.state, 'completed', backup.error);

    const statuses: number[] = [];
    let running = true;
    const client = (async () => {
      for (let i = 0; running; i++) {
        const requests = [
          call(api.url, 'GET', '/api/memories?page=3&page_size=20'),
          call(api.url, 'POST', '/api/search', {
            query: `topic ${i % 101}`,
            mode: i % 2 ? 'keyword' : 'semantic',
            limit: 5,
          }),
          call(api.url, 'POST', '/api/memories', { content: `written during the restore ${i}` }),
        ];
        for (const response of await Promise.all(requests)) statuses.push(response.status);
      }
    })();
    const restore = await waitForJob(
      api.url,
      (await call(api.url, 'POST', '/api/admin/restore', { backup_id: backup.result.backup_id })).body.job_id,
      60_000,
    );
    running = false;
    await client;
    assert.equal(restore.state, 'completed', restore.error);
    assert.ok(statuses.length >= 30, `only ${statuses.length} requests ran during the restore`);
    const serverErrors = api
      .output()
      .split('\n')
      .filter((line) => line.includes('unhandled error'));
    assert.deepEqual(
      statuses.filter((status) => status >= 500),
      [],
      serverErrors.join('\n'),
    );
    const total = (await call(api.url, 'GET', '/api/memories?page_size=1')).body.total;
    const writtenAfterRestore = (
      await call(api.url, 'POST', '/api/search', { query: 'written during the restore', mode: 'keyword', limit: 100 })
    ).body.results.length;
    assert.equal(
      total - writtenAfterRestore,
      MEMORIES,
      'the backup came back, plus only writes acknowledged after the swap',
    );
    const metrics = await (await fetch(`${worker.url}/metrics`)).text();
    assert.match(metrics, /^engram_jobs_total\{queue="engram-maintenance",name="restore",outcome="completed"\} 1$/m);
    assert.match(metrics, /^engram_job_duration_seconds_count\{name="backup"\} [1-9]/m);
    assert.match(metrics, /^engram_queue_jobs\{queue="engram-maintenance",state="completed"\} [1-9]/m);
    assert.match(metrics, /^engram_last_backup_timestamp_seconds [1-9]/m);
  });

  it('finishes a reindex of 5,000 memories after the worker is killed with SIGKILL mid-way', async () => {
    await worker?.stop();
    // Small embedding batches make the run long enough to be interrupted.
    worker = await startWorker(modelB, { ENGRAM_EMBEDDING_BATCH_SIZE: '2' });
    const queued = await call(api.url, 'POST', '/api/admin/reindex');
    assert.equal(queued.status, 202);
    const db = new Database(dbPath, { readonly: true });
    try {
      const staged = () => {
        try {
          return db.prepare('SELECT count(*) FROM reindex_vectors').pluck().get() as number;
        } catch {
          return 0; // not created yet
        }
      };
      while (staged() === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      await worker!.stop('SIGKILL');
      const stagedAtKill = staged();
      assert.ok(stagedAtKill > 0 && stagedAtKill < MEMORIES, `killed with ${stagedAtKill} staged`);

      worker = await startWorker(modelB);
      const job = await waitForJob(api.url, queued.body.job_id, 90_000);
      assert.equal(job.state, 'completed', job.error);
      assert.equal(job.result.resumed, true);
      assert.equal(job.result.model, 'openai:model-b');
      const live = db.prepare('SELECT count(*) FROM memories WHERE deleted_at IS NULL').pluck().get() as number;
      assert.equal(job.result.vectors, live);
      const perMemory = db
        .prepare(
          `SELECT count(e.memory_id) AS vectors, min(length(e.embedding)) AS bytes FROM memories m
           LEFT JOIN memory_embeddings e ON e.memory_id = m.id WHERE m.deleted_at IS NULL GROUP BY m.id`,
        )
        .all() as { vectors: number; bytes: number }[];
      assert.equal(perMemory.length, live);
      assert.ok(perMemory.every((row) => row.vectors === 1 && row.bytes === 24 * 4));
      assert.equal(
        db.prepare("SELECT value FROM settings WHERE key = 'embedding_model'").pluck().get(),
        'openai:model-b',
      );
    } finally {
      db.close();
    }
  });
});
