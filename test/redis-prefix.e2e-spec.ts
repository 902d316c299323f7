import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RunningEngram as Running, serviceHelper, startEngram } from './engram-cli';
import { call, freePort, tempDir } from './process-harness';

const { startTestRedis } = serviceHelper('testing/redis-server.js');
const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');
const { openSse } = serviceHelper('testing/sse-client.js');

/** One deployment: its own folder (database, backups), its api, and a worker once started. */
interface Store {
  dir: string;
  api: Running;
  worker?: Running;
}

describe('two deployments on one redis-server, each with its own SQLite store', () => {
  let redis: any;
  let model: any;
  const stores: Store[] = [];
  const clients: any[] = [];
  const env = () => ({
    REDIS_URL: redis.url,
    ENGRAM_EMBEDDING_PROVIDER: 'openai',
    MCP_EXTERNAL_EMBEDDING_URL: model.url,
    MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
  });
  const startWorker = async (store: Store) => {
    store.worker = await startEngram(
      'worker',
      { ...env(), WORKER_HTTP_PORT: String(await freePort()) },
      store.dir,
      'Engram worker ready',
    );
  };
  const storeId = (store: Store) => {
    const db = new Database(join(store.dir, 'data', 'engram.db'), { readonly: true });
    try {
      return db.prepare('SELECT store_id FROM store_identity').pluck().get() as string;
    } finally {
      db.close();
    }
  };
  const backupsOf = (store: Store) => {
    const folder = join(store.dir, 'data', 'backups');
    return existsSync(folder) ? readdirSync(folder).filter((name) => !name.startsWith('.')) : [];
  };

  before(async () => {
    redis = await startTestRedis();
    model = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'prefix-model' });
    for (const dir of [tempDir(), tempDir()]) {
      stores.push({ dir, api: await startEngram('serve', env(), dir, 'Engram ready') });
    }
  });
  after(async () => {
    for (const client of clients) client.close();
    for (const store of stores) await Promise.all([store.api.stop(), store.worker?.stop()]);
    await model?.close();
    await redis?.close();
  });

  it('streams each deployment only its own events', async () => {
    const [blue, green] = stores;
    const streams = await Promise.all(
      stores.map((store) => openSse(`${store.api.url}/api/events/stream?frames=named`)),
    );
    clients.push(...streams);
    const created = (stream: any) =>
      stream
        .named()
        .filter((frame: any) => frame.event === 'memory_created')
        .map((frame: any) => frame.data.payload.preview);
    assert.equal((await call(green.api.url, 'POST', '/api/memories', { content: 'green memory' })).status, 201);
    await streams[1].waitFor(() => created(streams[1]).length === 1);
    assert.equal((await call(blue.api.url, 'POST', '/api/memories', { content: 'blue memory' })).status, 201);
    await streams[0].waitFor(() => created(streams[0]).length === 1);
    assert.deepEqual(created(streams[0]), ['blue memory']);
    assert.deepEqual(created(streams[1]), ['green memory']);
  });

  it("runs each deployment's jobs only on its own worker, against its own database", async () => {
    const [blue, green] = stores;
    await startWorker(green);
    const blueJob = await call(blue.api.url, 'POST', '/api/admin/backup');
    assert.equal(blueJob.status, 202);
    const greenJob = await call(green.api.url, 'POST', '/api/admin/backup');
    const waitDone = async (store: Store, id: string) => {
      for (;;) {
        const job = (await call(store.api.url, 'GET', `/api/jobs/${id}`)).body;
        if (['completed', 'failed'].includes(job.state)) return job;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    assert.equal((await waitDone(green, greenJob.body.job_id)).state, 'completed');
    // Queued first, so green's worker would have taken it first from a shared queue.
    assert.equal((await call(blue.api.url, 'GET', `/api/jobs/${blueJob.body.job_id}`)).body.state, 'waiting');
    assert.equal(backupsOf(blue).length, 0);

    await startWorker(blue);
    const done = await waitDone(blue, blueJob.body.job_id);
    assert.equal(done.state, 'completed', done.error);
    assert.equal(done.result.memories, 1);
    assert.equal(backupsOf(blue).length, 1);
    assert.equal(backupsOf(green).length, 1);
    for (const store of stores) {
      const listed = (await call(store.api.url, 'GET', '/api/jobs')).body.jobs;
      assert.equal(listed.length, 1, 'each api lists its own job only');
    }
  });

  it('keeps every key under a prefix derived from its store id', async () => {
    const prefixes = stores.map((store) => `engram:${storeId(store).slice(0, 16)}:`);
    assert.notEqual(prefixes[0], prefixes[1]);
    const admin = new Redis(redis.url);
    try {
      const keys = (await admin.keys('*')) as string[];
      assert.ok(keys.length > 0);
      assert.deepEqual(
        keys.filter((key) => !prefixes.some((prefix) => key.startsWith(prefix))),
        [],
      );
      for (const prefix of prefixes) assert.ok(keys.some((key) => key.startsWith(`${prefix}bull:`)));
    } finally {
      admin.disconnect();
    }
  });
});
