import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RunningEngram, runEngram, serviceHelper, startEngram } from './engram-cli';
import { call, tempDir } from './process-harness';

const { startTestRedis } = serviceHelper('testing/redis-server.js');
const { openSqliteDatabase } = serviceHelper('storage/sqlite.connection.js');
const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');
const { rawAnswer, rawExchange, slowHeaderParts, trickledExchange } = serviceHelper('testing/raw-request.js');

describe("the worker's HTTP port", () => {
  const dir = tempDir();
  const db = join(dir, 'engram.db');
  let redis: any;
  let model: any;
  let worker: RunningEngram;
  const keys: Record<string, string> = {};

  const createKey = async (...args: string[]) => {
    const created = await runEngram(['keys', 'create', ...args, '--json', '--db', db], {}, dir);
    assert.equal(created.code, 0, created.stderr);
    return JSON.parse(created.stdout).key as string;
  };

  before(async () => {
    redis = await startTestRedis();
    model = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'worker-model' });
    openSqliteDatabase(db, {}).close(); // only servers create a database
    // Stored keys only: no MCP_API_KEY, which is all the worker used to know. The first must be an admin key.
    keys.admin = await createKey('--name', 'operator', '--scopes', 'read,write,admin');
    keys.operator = await createKey('--name', 'prometheus', '--scopes', 'read');
    keys.bound = await createKey('--name', 'team a', '--scopes', 'admin', '--namespace', 'team-a');
    worker = await startEngram(
      'worker',
      {
        REDIS_URL: redis.url,
        MCP_MEMORY_SQLITE_PATH: db,
        ENGRAM_EMBEDDING_PROVIDER: 'openai',
        MCP_EXTERNAL_EMBEDDING_URL: model.url,
        MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
        ENGRAM_HTTP_HEADERS_TIMEOUT_MS: '1000',
      },
      dir,
      'Engram worker ready',
    );
  });
  after(async () => {
    await worker?.stop();
    await model?.close();
    await redis?.close();
  });

  it('authenticates /metrics and /health/ready with the stored keys, as the api does', async () => {
    assert.deepEqual((await call(worker.url, 'GET', '/health/live')).body, { status: 'ok' });
    const anonymous = await call(worker.url, 'GET', '/metrics');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.error, 'unauthorized');
    assert.equal((await call(worker.url, 'GET', '/metrics', undefined, { 'x-api-key': 'egk_not-a-key' })).status, 401);
    const bound = await call(worker.url, 'GET', '/metrics', undefined, { 'x-api-key': keys.bound });
    assert.equal(bound.status, 403, 'store-wide figures need a credential not bound to a namespace');
    const scraped = await fetch(`${worker.url}/metrics`, { headers: { authorization: `Bearer ${keys.operator}` } });
    assert.equal(scraped.status, 200);
    assert.match(await scraped.text(), /^engram_queue_jobs\{/m);
    const ready = await call(worker.url, 'GET', '/health/ready', undefined, { 'x-api-key': keys.operator });
    assert.equal(ready.status, 200);
    assert.equal((await call(worker.url, 'GET', '/health/ready')).status, 401);
    assert.equal(
      (await call(worker.url, 'GET', '/api/memories', undefined, { 'x-api-key': keys.operator })).status,
      404,
    );
  });

  it("answers headers over Node's limit and a malformed request line in the API's JSON error shape", async () => {
    const oversized = rawAnswer(
      await rawExchange(
        worker.url,
        `GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
      ),
    );
    assert.deepEqual([oversized.status, oversized.body.error], [431, 'header_too_large']);
    const garbage = rawAnswer(await rawExchange(worker.url, 'GARBAGE\r\n\r\n'));
    assert.deepEqual([garbage.status, garbage.body.error], [400, 'bad_request']);
    assert.match(garbage.body.message, /not valid HTTP/);
    assert.deepEqual((await call(worker.url, 'GET', '/health/live')).body, { status: 'ok' });
  });

  it('answers 408 request_timeout to a client whose headers trickle in past ENGRAM_HTTP_HEADERS_TIMEOUT_MS', async () => {
    const slow = rawAnswer(await trickledExchange(worker.url, slowHeaderParts('/health/live'), 200));
    assert.deepEqual([slow.status, slow.body.error, slow.header('connection')], [408, 'request_timeout', 'close']);
    assert.deepEqual((await call(worker.url, 'GET', '/health/live')).body, { status: 'ok' });
  });

  it('runs `engram backup` through Redis on this worker: the command waits for its connection', async () => {
    const env = { REDIS_URL: redis.url, MCP_MEMORY_SQLITE_PATH: db, ENGRAM_EMBEDDING_PROVIDER: 'openai' };
    const run = await runEngram(
      ['backup', '--json'],
      { ...env, MCP_EXTERNAL_EMBEDDING_URL: model.url, MCP_EXTERNAL_EMBEDDING_MODEL: model.model },
      dir,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /^queued as job \S+ on Redis; waiting for a worker\n/);
    assert.match(JSON.parse(run.stdout).backup_id, /^\S+$/);
  });

  it('writes access lines naming the caller, never the key', async () => {
    await (await fetch(`${worker.url}/metrics`, { headers: { 'x-api-key': keys.operator } })).text();
    const metricsLines = (output: string) => output.split('\n').filter((line) => line.includes('"route":"/metrics"'));
    const lines = metricsLines(
      await worker.waitForOutput((output) => metricsLines(output).some((line) => line.includes('"name":"prometheus"'))),
    );
    assert.ok(
      lines.some((line) => line.includes('"name":"prometheus"') && line.includes('"status":200')),
      lines.join('\n'),
    );
    assert.ok(!worker.output().includes(keys.operator), 'the key is in the worker log');
  });
});

describe('a worker that starts first, on a database not made yet', () => {
  const dir = tempDir();
  let redis: any;
  let model: any;

  before(async () => {
    redis = await startTestRedis();
    model = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'first-start-model' });
  });
  after(async () => {
    await model?.close();
    await redis?.close();
  });

  /** The start-up line a server logs about the new database it creates, or undefined when it logs none. */
  async function newDatabaseLine(command: 'serve' | 'worker', database: string) {
    const ready = command === 'worker' ? 'Engram worker ready' : 'Engram ready';
    const env = {
      REDIS_URL: redis.url,
      MCP_MEMORY_SQLITE_PATH: database,
      ENGRAM_EMBEDDING_PROVIDER: 'openai',
      MCP_EXTERNAL_EMBEDDING_URL: model.url,
      MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
    };
    const started = await startEngram(command, env, dir, ready);
    assert.equal(await started.stop(), 0, started.output());
    const line = started
      .output()
      .split('\n')
      .find((text) => text.includes('No database yet'));
    return line === undefined ? undefined : (JSON.parse(line).message as { msg: string; database: string });
  }

  it('says it creates a new, empty database in the line serve says it in', async () => {
    const byWorker = await newDatabaseLine('worker', join(dir, 'worker-first.db'));
    assert.ok(byWorker, 'engram worker created a database without a word');
    assert.equal(byWorker.database, join(dir, 'worker-first.db'));
    const byApi = await newDatabaseLine('serve', join(dir, 'api-first.db'));
    assert.equal(byWorker.msg, byApi?.msg);
    assert.equal(await newDatabaseLine('worker', join(dir, 'worker-first.db')), undefined, 'said again at a restart');
  });
});
