import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, TestApp } from '../testing/test-app';

describe('health, readiness, detailed health and metrics', () => {
  let api: TestApp;
  before(async () => {
    api = await startTestApp();
    await api.request('POST', '/api/memories', { body: { content: 'counted memory one', tags: ['a'] } });
    await api.request('POST', '/api/memories', { body: { content: 'counted memory two', tags: ['b'] } });
    await api.request('POST', '/api/search', { body: { query: 'counted', mode: 'keyword' } });
  });
  after(async () => {
    await api.close();
  });

  it('reports liveness and readiness with each readiness check', async () => {
    assert.deepEqual((await api.request('GET', '/health/live')).body, { status: 'ok' });
    const ready = await api.request('GET', '/health/ready');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, 'ok');
    assert.equal(ready.body.details.database.status, 'up');
    assert.equal(ready.body.details.disk.status, 'up');
    assert.equal(ready.body.details.embedder.status, 'up');
  });

  it('is not ready (503 with the failing check) when free disk is below the threshold', async () => {
    const starved = await startTestApp({ ENGRAM_MIN_FREE_DISK_BYTES: String(Number.MAX_SAFE_INTEGER) });
    try {
      const ready = await starved.request('GET', '/health/ready');
      assert.equal(ready.status, 503);
      assert.equal(ready.body.error, 'service_unavailable');
      assert.equal(ready.body.message, 'Not ready', "the worker's readiness answers the same (docs/operations.md)");
      assert.equal(ready.headers.get('retry-after'), '5');
      assert.equal(ready.body.details.error.disk.status, 'down');
      const metrics = (await starved.request('GET', '/metrics')).text;
      assert.match(metrics, /^engram_ready\{check="disk"\} 0$/m, 'the alert rules see it too');
      assert.match(metrics, /^engram_ready\{check="database"\} 1$/m);
    } finally {
      await starved.close();
    }
  });

  it('gives statistics, storage and model details on /api/health/detailed', async () => {
    const detailed = await api.request('GET', '/api/health/detailed');
    assert.equal(detailed.status, 200);
    assert.equal(detailed.body.statistics.total_memories, 2);
    assert.equal(detailed.body.statistics.unique_tags, 2);
    assert.ok(detailed.body.storage.database_size_bytes > 0);
    assert.match(detailed.body.storage.sqliteVec, /^v0\.1\./);
    assert.equal(detailed.body.embedding.provider, 'local');
    assert.equal(detailed.body.embedding.dimension, 512);
  });

  it('exports Prometheus metrics with bounded labels', async () => {
    const metrics = await api.request('GET', '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /text\/plain/);
    const text = metrics.text;
    assert.match(text, /^engram_memories 2$/m);
    assert.match(text, /^engram_db_size_bytes [1-9]\d*$/m);
    assert.match(text, /^engram_search_duration_seconds_count\{mode="keyword"\} 1$/m);
    assert.match(text, /^engram_embedding_duration_seconds_count\{provider="local"\} [1-9]/m);
    assert.match(
      text,
      /^http_request_duration_seconds_count\{method="POST",route="\/api\/memories",status="201"\} 2$/m,
    );
    assert.match(text, /^process_resident_memory_bytes /m);
    for (const check of ['database', 'disk', 'embedder'])
      assert.match(text, new RegExp(`^engram_ready\\{check="${check}"\\} 1$`, 'm'));
    const free = Number(/^engram_disk_free_bytes (\d+)$/m.exec(text)?.[1]);
    const size = Number(/^engram_disk_size_bytes (\d+)$/m.exec(text)?.[1]);
    assert.ok(free > 0 && size >= free, `free ${free} of ${size}`);
    const hashInLabel = /route="\/api\/memories\/[0-9a-f]{64}"/;
    await api.request('GET', `/api/memories/${'b'.repeat(64)}`);
    assert.doesNotMatch((await api.request('GET', '/metrics')).text, hashInLabel);
  });

  it('serves the OpenAPI document with the memory routes and their schemas', async () => {
    const doc = await api.request('GET', '/api/docs-json');
    assert.equal(doc.status, 200);
    assert.ok(doc.body.paths['/api/memories'].post.requestBody);
    const body = doc.body.paths['/api/memories'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(body.required, ['content']);
    assert.ok(doc.body.paths['/api/search'].post);
    assert.ok(doc.body.paths['/api/memories/{hash}'].put);
    assert.equal((await api.request('GET', '/api/docs')).status, 200);
  });

  it('documents each validated body and query from the schema that validates it', async () => {
    const { paths } = (await api.request('GET', '/api/docs-json')).body;
    const names = (operation: { parameters: { name: string; in: string }[] }) =>
      operation.parameters.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name);
    // Every field of the stream's query schema, aliases included, once each.
    assert.deepEqual(names(paths['/api/events/stream'].get).sort(), [
      'api_key',
      'frames',
      'last_event_id',
      'tag',
      'tags',
      'type',
      'types',
    ]);
    assert.ok(
      names(paths['/api/admin/audit'].get).includes('cursor'),
      'a transformed query schema still lists its fields',
    );
    assert.equal(paths['/api/consolidation/trigger'].post.requestBody.required, false, 'a body that may be left out');
    assert.equal(paths['/api/search'].post.requestBody.required, true);
    const bad = await api.request('GET', '/api/events?frames=sideways');
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /Invalid request query: frames/);
  });
});

describe('metrics access', () => {
  it('keeps /metrics behind the key unless METRICS_PUBLIC=true', async () => {
    const key = 'metrics-test-key-0123456789';
    const closed = await startTestApp({ MCP_API_KEY: key });
    const open = await startTestApp({ MCP_API_KEY: key, METRICS_PUBLIC: 'true' });
    try {
      assert.equal((await closed.request('GET', '/metrics')).status, 401);
      assert.equal((await open.request('GET', '/metrics')).status, 200);
      assert.equal((await open.request('GET', '/api/memories')).status, 401);
    } finally {
      await closed.close();
      await open.close();
    }
  });
});
