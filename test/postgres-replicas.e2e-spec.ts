import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { DIST, RunningEngram as Running, serviceHelper, startEngram } from './engram-cli';
import { call, inheritedEnv, tempDir } from './process-harness';
import { join } from 'node:path';

const { startTestPostgres } = serviceHelper('testing/postgres-test-server.js');
const { startTestRedis } = serviceHelper('testing/redis-server.js');
const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');
const { openSse } = serviceHelper('testing/sse-client.js');

const run = promisify(execFile);

async function waitForJob(url: string, id: string, timeoutMs = 60_000) {
  assert.ok(id, 'a job id');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await call(url, 'GET', `/api/jobs/${id}`, undefined, ADMIN)).body;
    if (['completed', 'failed', 'cancelled'].includes(job.state)) return job;
    assert.ok(Date.now() < deadline, `job ${id} still ${job.state} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
const BOOTSTRAP = 'e2e-postgres-bootstrap-key-0123456789';
const ADMIN = { 'X-API-Key': BOOTSTRAP };

/**
 * The deployment a company runs: several api replicas and a worker, stateless, on one PostgreSQL with
 * pgvector (PGlite over the real wire protocol, reached with `pg` as in production) and one Redis.
 */
describe('api replicas and a worker on PostgreSQL and Redis (real processes)', () => {
  const dir = tempDir();
  let postgres: any;
  let redis: any;
  let model: any;
  let env: Record<string, string>;
  let apiA: Running;
  let apiB: Running;
  let worker: Running;
  const clients: any[] = [];
  const startReplica = () => startEngram('serve', env, dir, 'Engram ready');

  before(async () => {
    [postgres, redis, model] = await Promise.all([
      startTestPostgres(),
      startTestRedis(),
      startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'pg-e2e-model' }),
    ]);
    env = {
      MCP_MEMORY_STORAGE_BACKEND: 'postgres',
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      MCP_API_KEY: BOOTSTRAP,
      // Engram's own backups sit on a volume every pod mounts (ReadWriteMany in Kubernetes).
      MCP_MEMORY_BACKUPS_PATH: join(dir, 'backups'),
      ENGRAM_EMBEDDING_PROVIDER: 'openai',
      MCP_EXTERNAL_EMBEDDING_URL: model.url,
      MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
    };
    // A new, empty database and replicas starting together: migrations and the model binding run once.
    [apiA, apiB] = await Promise.all([startReplica(), startReplica()]);
    // Its own folder: a worker pod on another node shares no disk with the api pods.
    worker = await startEngram('worker', env, tempDir(), 'Engram worker ready');
  });
  after(async () => {
    for (const client of clients) client.close();
    await Promise.all([apiA, apiB, worker].filter(Boolean).map((process) => process.stop()));
    await model?.close();
    await redis?.close();
    await postgres?.close();
  });

  it('starts on the database server, naming it without the password, and reports PostgreSQL and pgvector', async () => {
    for (const api of [apiA, apiB]) {
      assert.match(api.output(), /"database":"postgres:\/\/127\.0\.0\.1:\d+\/\w+"/);
      assert.doesNotMatch(api.output(), /postgres:postgres@/, 'credentials are never logged');
      assert.doesNotMatch(api.output(), /creating a new, empty one/, 'a database server is not a new file');
    }
    const detailed = await call(apiB.url, 'GET', '/api/health/detailed', undefined, ADMIN);
    assert.equal(detailed.status, 200);
    assert.equal(detailed.body.storage.backend, 'postgres');
    assert.match(detailed.body.storage.pgvector, /^\d+\.\d+/);
    assert.equal(detailed.body.storage.free_disk_bytes, null, "the server's disk is not this process's to see");
    assert.ok(detailed.body.storage.database_size_bytes > 0);
    const metrics = await (await fetch(`${apiA.url}/metrics`, { headers: ADMIN })).text();
    assert.match(metrics, /^engram_ready\{check="database"\} 1$/m);
    assert.doesNotMatch(metrics, /^engram_disk_free_bytes/m, 'no made-up disk figure');
  });

  it('serves one store from every replica: written on one, found, changed and deleted on another', async () => {
    const stored = await call(
      apiA.url,
      'POST',
      '/api/memories',
      { content: 'The staging database moved to eu-west-2 in March', tags: ['Infra', 'db'], memory_type: 'decision' },
      ADMIN,
    );
    assert.equal(stored.status, 201, JSON.stringify(stored.body));
    const hash = stored.body.content_hash;
    const read = await call(apiB.url, 'GET', `/api/memories/${hash}`, undefined, ADMIN);
    assert.deepEqual(read.body.tags, ['db', 'infra'], 'tags normalised and sorted as on SQLite');
    for (const mode of ['semantic', 'keyword', 'hybrid']) {
      const found = await call(apiB.url, 'POST', '/api/search', { query: 'staging database', mode, limit: 3 }, ADMIN);
      assert.equal(found.status, 200, JSON.stringify(found.body));
      assert.equal(found.body.results[0]?.memory.content_hash, hash, `${mode} search on the other replica`);
    }
    const byTag = await call(apiB.url, 'POST', '/api/search/by-tag', { tags: ['INFRA'] }, ADMIN);
    assert.deepEqual(
      byTag.body.results.map((result: any) => result.memory.content_hash),
      [hash],
    );
    assert.equal((await call(apiB.url, 'DELETE', `/api/memories/${hash}`, undefined, ADMIN)).status, 200);
    assert.equal((await call(apiA.url, 'GET', `/api/memories/${hash}`, undefined, ADMIN)).status, 404);
  });

  it('stores a memory once when replicas race to store the same content', async () => {
    const content = 'Racing replicas store this sentence exactly once';
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call(i % 2 ? apiA.url : apiB.url, 'POST', '/api/memories', { content }, ADMIN),
      ),
    );
    assert.ok(
      answers.every((answer) => answer.status === 201 || answer.body.error === 'duplicate_content'),
      answers.map((answer) => `${answer.status} ${JSON.stringify(answer.body)}`).join('\n'),
    );
    assert.equal(answers.filter((answer) => answer.status === 201).length, 1, 'one creation, the rest told it exists');
    const found = await call(apiA.url, 'POST', '/api/search', { query: content, mode: 'keyword', limit: 10 }, ADMIN);
    assert.equal(found.body.results.filter((result: any) => result.memory.content === content).length, 1);
  });

  it('takes keys made by the operator command on the database, on every replica, until revoked', async () => {
    const cli = (args: string[]) =>
      run(process.execPath, [join(DIST, 'cli', 'engram.js'), 'keys', ...args], {
        env: {
          ...inheritedEnv(),
          MCP_MEMORY_STORAGE_BACKEND: 'postgres',
          DATABASE_URL: postgres.url,
          MCP_API_KEY: BOOTSTRAP,
        },
      });
    const created = await cli(['create', '--name', 'ci-bot', '--scopes', 'read,write', '--namespace', 'ci', '--json']);
    const { key, id } = JSON.parse(created.stdout);
    for (const api of [apiA, apiB]) {
      const answer = await call(
        api.url,
        'POST',
        '/api/memories',
        { content: `written by ci-bot on ${api.url}` },
        {
          'X-API-Key': key,
        },
      );
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
    }
    const own = await call(
      apiB.url,
      'POST',
      '/api/search',
      { query: 'written by ci-bot', mode: 'keyword', limit: 10 },
      {
        'X-API-Key': key,
      },
    );
    assert.equal(own.body.results.length, 2, 'both writes, from either replica, in its namespace');
    const outside = await call(apiA.url, 'POST', '/api/search', { query: 'written by ci-bot', mode: 'keyword' }, ADMIN);
    assert.equal(outside.body.results.length, 0, 'not in the default namespace');
    await cli(['revoke', id, '--yes']);
    for (const api of [apiA, apiB]) {
      assert.equal((await call(api.url, 'GET', '/api/memories', undefined, { 'X-API-Key': key })).status, 401);
    }
  });

  it('delivers an event raised on one replica to a stream on another, and serves MCP from any replica', async () => {
    const onB = await openSse(`${apiB.url}/api/events/stream?frames=named`, ADMIN);
    clients.push(onB);
    const mcp = new Client({ name: 'engram-postgres-e2e', version: '1.0.0' });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', apiA.url), {
        requestInit: { headers: { Authorization: `Bearer ${BOOTSTRAP}` } },
      }),
    );
    try {
      const stored = await mcp.callTool({
        name: 'memory_store',
        arguments: { content: 'Written through MCP on replica A' },
      });
      assert.notEqual(stored.isError, true, JSON.stringify(stored));
    } finally {
      await mcp.close();
    }
    await onB.waitFor(() =>
      onB
        .named()
        .some(
          (frame: any) =>
            frame.event === 'memory_created' && frame.data.payload.preview === 'Written through MCP on replica A',
        ),
    );
  });

  it('imports a file uploaded to one replica on a worker that shares no disk with it', async () => {
    const form = new FormData();
    const notes = '# Garden\n\nThe quince tree was planted in the north corner in 2019.\n';
    form.append('file', new Blob([notes]), 'garden.md');
    const queued = await fetch(`${apiA.url}/api/import`, { method: 'POST', body: form, headers: ADMIN });
    const body = (await queued.json()) as any;
    assert.equal(queued.status, 202, JSON.stringify(body));
    let job: any;
    for (const deadline = Date.now() + 60_000; ;) {
      job = (await call(apiB.url, 'GET', `/api/import/${body.job_id}`, undefined, ADMIN)).body;
      if (['completed', 'failed', 'cancelled'].includes(job.state)) break;
      assert.ok(Date.now() < deadline, `import still ${job.state}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(job.state, 'completed', JSON.stringify(job));
    const found = await call(apiB.url, 'POST', '/api/search', { query: 'quince tree', mode: 'keyword' }, ADMIN);
    assert.match(found.body.results[0]?.memory.content ?? '', /quince tree was planted/);
  });

  it('counts wrong keys across replicas: thirty on A, then B limits too; a valid key keeps working on both', async () => {
    const wrong = { 'X-API-Key': 'egk_wrong-key-sent-by-a-guesser-000' };
    // Up to thirty a minute per client address, counted in Redis (earlier tests spent a few already).
    let refusedOnA = 0;
    while ((await call(apiA.url, 'GET', '/api/memories', undefined, wrong)).status === 401) {
      refusedOnA += 1;
      assert.ok(refusedOnA <= 30, 'limited after thirty');
    }
    const onB = await call(apiB.url, 'GET', '/api/memories', undefined, wrong);
    assert.equal(onB.status, 429, 'the other replica knows the failures');
    for (const api of [apiA, apiB]) {
      assert.equal((await call(api.url, 'GET', '/api/memories', undefined, ADMIN)).status, 200);
    }
  });

  it('keeps every acknowledged write when a replica is killed during writes through both', async () => {
    const acknowledged: string[] = [];
    let writing = true;
    const writer = (api: () => Running, label: string) =>
      (async () => {
        for (let i = 0; writing; i++) {
          const stored = await call(
            api().url,
            'POST',
            '/api/memories',
            { content: `${label} write ${i}` },
            ADMIN,
          ).catch(
            () => undefined, // the killed replica's connection drops: not acknowledged
          );
          if (stored?.status === 201) acknowledged.push(stored.body.content_hash);
          else await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
    const writers = [writer(() => apiA, 'through A'), writer(() => apiB, 'through B')];
    while (acknowledged.length < 20) await new Promise((resolve) => setTimeout(resolve, 20));
    await apiA.stop('SIGKILL');
    const atKill = acknowledged.length;
    while (acknowledged.length < atKill + 10) await new Promise((resolve) => setTimeout(resolve, 20));
    writing = false;
    await Promise.all(writers);
    apiA = await startReplica();
    for (const hash of acknowledged) {
      assert.equal((await call(apiA.url, 'GET', `/api/memories/${hash}`, undefined, ADMIN)).status, 200, hash);
    }
  });

  it('backs up and restores on the worker, then reindexes to another model; old-model replicas refuse to mix', async () => {
    const before = await call(apiA.url, 'POST', '/api/memories', { content: 'kept by the backup', tags: ['b'] }, ADMIN);
    const backup = await waitForJob(
      apiA.url,
      (await call(apiA.url, 'POST', '/api/admin/backup', {}, ADMIN)).body.job_id,
    );
    assert.equal(backup.state, 'completed', backup.error);
    const after = await call(apiB.url, 'POST', '/api/memories', { content: 'written after the backup' }, ADMIN);
    assert.equal(
      (await call(apiB.url, 'DELETE', `/api/memories/${before.body.content_hash}`, undefined, ADMIN)).status,
      200,
    );
    const restore = await waitForJob(
      apiB.url,
      (await call(apiB.url, 'POST', '/api/admin/restore', { backup_id: backup.result.backup_id }, ADMIN)).body.job_id,
    );
    assert.equal(restore.state, 'completed', restore.error);
    const restored = await call(apiA.url, 'GET', `/api/memories/${before.body.content_hash}`, undefined, ADMIN);
    assert.deepEqual(restored.body.tags, ['b'], 'the deleted memory is back, with its tags');
    assert.equal(
      (await call(apiA.url, 'GET', `/api/memories/${after.body.content_hash}`, undefined, ADMIN)).status,
      404,
    );
    const found = await call(apiB.url, 'POST', '/api/search', { query: 'kept by the backup', limit: 1 }, ADMIN);
    assert.equal(found.body.results[0].memory.content_hash, before.body.content_hash, 'vectors restored too');

    const modelB = await startOpenAiEmbeddingsTestDouble({ dimension: 24, model: 'pg-e2e-model-b' });
    try {
      await worker.stop();
      const withB = { ...env, MCP_EXTERNAL_EMBEDDING_URL: modelB.url, MCP_EXTERNAL_EMBEDDING_MODEL: modelB.model };
      worker = await startEngram('worker', withB, dir, 'Engram worker ready');
      const reindex = await waitForJob(
        apiA.url,
        (await call(apiA.url, 'POST', '/api/admin/reindex', {}, ADMIN)).body.job_id,
      );
      assert.equal(reindex.state, 'completed', reindex.error);
      assert.equal(reindex.result.model, 'openai:pg-e2e-model-b');
      assert.equal(reindex.result.dimension, 24);
      const stale = await call(apiA.url, 'POST', '/api/memories', { content: 'embedded with the old model' }, ADMIN);
      assert.equal(stale.status, 503, JSON.stringify(stale.body));
      assert.match(stale.body.message, /restart it with the new model/);
      const newApi = await startEngram('serve', withB, dir, 'Engram ready');
      try {
        const search = await call(newApi.url, 'POST', '/api/search', { query: 'kept by the backup', limit: 1 }, ADMIN);
        assert.equal(search.body.results[0].memory.content_hash, before.body.content_hash);
      } finally {
        await newApi.stop();
      }
    } finally {
      await modelB.close();
    }
  });
});
