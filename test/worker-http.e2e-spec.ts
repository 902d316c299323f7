import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RunningEngram, runEngram, serviceHelper, startEngram } from './engram-cli';
import { call, tempDir } from './process-harness';

const { startTestRedis } = serviceHelper('testing/redis-server.js');
const { openSqliteDatabase } = serviceHelper('storage/sqlite.connection.js');
const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');
const { rawAnswer, rawExchange, rawRequest, slowHeaderParts, trickledExchange } =
  serviceHelper('testing/raw-request.js');

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
        ENGRAM_HTTP_REQUEST_TIMEOUT_MS: '2000',
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

  it("answers headers over Node's limit, a malformed request line and a CONNECT in the API's JSON error shape", async () => {
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
    const tunnel = rawAnswer(
      await rawExchange(worker.url, 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n'),
    );
    assert.deepEqual(
      [tunnel.status, tunnel.body.error, tunnel.header('connection')],
      [405, 'method_not_allowed', 'close'],
    );
    assert.deepEqual((await call(worker.url, 'GET', '/health/live')).body, { status: 'ok' });
  });

  /**
   * A request as a client that puts options in a body sends it (fetch refuses a GET or HEAD with one), its
   * body sized unless `headers` make it chunked (Node sends a GET's body unframed otherwise).
   */
  const send = (method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
    const sized: Record<string, string> =
      body === undefined || headers['transfer-encoding'] ? {} : { 'content-length': String(Buffer.byteLength(body)) };
    return rawRequest(worker.url, method, path, {
      headers: { 'x-api-key': keys.operator, 'content-type': 'application/json', ...sized, ...headers },
      body,
    });
  };

  it("refuses a GET or HEAD with a body on each of its routes, as the api does (docs/api.md's validation rules)", async () => {
    const body = '{"namespace":"work"}';
    for (const path of ['/health/live', '/health/ready', '/metrics']) {
      const refused = await send('GET', path, body);
      assert.equal(refused.status, 400, `GET ${path}: ${refused.text}`);
      assert.deepEqual(refused.body, {
        error: 'validation_error',
        message: `GET ${path} takes no request body: put its parameters in the query string and send no body`,
      });
      assert.equal((await send('HEAD', path, body)).status, 400, `HEAD ${path}`);
      const chunked = await send('GET', path, body, { 'transfer-encoding': 'chunked' });
      assert.equal(chunked.status, 400, `chunked GET ${path}: ${chunked.text}`);
    }
    const bodiless: Record<string, string>[] = [{ 'content-length': '0' }, { 'transfer-encoding': 'chunked' }];
    for (const headers of bodiless) {
      const served = await send('GET', '/health/ready', undefined, headers);
      assert.equal(served.status, 200, `${JSON.stringify(headers)}: ${served.text}`);
    }
  });

  it("answers a body it cannot read in the api's JSON error shape: not JSON, over 64 KiB, on any method or route", async () => {
    const notJson = await send('OPTIONS', '/health/live', '{not json');
    assert.equal(notJson.status, 400, notJson.text);
    assert.equal(notJson.body.error, 'bad_request');
    assert.match(notJson.body.message, /^Request body is not valid JSON/);
    for (const [method, path] of [
      ['POST', '/health/live'],
      ['OPTIONS', '/metrics'],
      ['PUT', '/elsewhere'],
    ]) {
      const large = await send(method, path, JSON.stringify({ note: 'x'.repeat(100_000) }));
      assert.equal(large.status, 413, `${method} ${path}: ${large.text}`);
      assert.equal(large.body.error, 'payload_too_large');
      assert.match(large.body.message, /larger than 65536 bytes/);
    }
    const noRoute = await send('POST', '/health/live', '{}');
    assert.deepEqual([noRoute.status, noRoute.body.error], [404, 'not_found']);
  });

  it("answers a bad % escape and a NUL in the query string in the api's JSON error shape, naming the request", async () => {
    const escape = await send('GET', '/health/live%FF');
    assert.deepEqual(
      [escape.status, escape.body],
      [400, { error: 'bad_request', message: 'The URL path is not valid (a bad % escape)' }],
    );
    const nul = await send('GET', '/health/ready?check=%00');
    assert.deepEqual([nul.status, nul.body.error], [400, 'bad_request']);
    assert.match(nul.body.message, /^Query parameter check holds a NUL character/);
    const live = await send('GET', '/health/live', undefined, { 'x-request-id': 'probe-7' });
    assert.equal(live.headers['x-request-id'], 'probe-7', 'the answer names its request, as the access log does');
  });

  it('answers an unknown route or method, and OPTIONS (no CORS here), 404 in JSON, an empty JSON body included', async () => {
    for (const [method, path] of [
      ['GET', '/api/memories'],
      ['DELETE', '/metrics'],
      ['PATCH', '/health/live'],
      ['OPTIONS', '/health/live'],
    ]) {
      // An empty body with the JSON content type, as many clients send: read as no body, as the api does.
      const answer = await send(method, path, '', { origin: 'https://app.example.com' });
      assert.deepEqual([answer.status, answer.body.error], [404, 'not_found'], `${method} ${path}`);
      assert.equal(answer.headers['access-control-allow-origin'], undefined);
    }
  });

  it('answers 408 request_timeout to a client whose headers or body trickle in past the HTTP timeouts', async () => {
    const slow = rawAnswer(await trickledExchange(worker.url, slowHeaderParts('/health/live'), 200));
    assert.deepEqual([slow.status, slow.body.error, slow.header('connection')], [408, 'request_timeout', 'close']);
    // The headers at once, with a key (else the 401 needs no body), then the body a character every 200 ms.
    const body = JSON.stringify({ note: 'a slow body' });
    const head =
      `POST /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: ${keys.operator}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    const slowBody = rawAnswer(await trickledExchange(worker.url, [head, ...body], 200));
    assert.deepEqual([slowBody.status, slowBody.body.error], [408, 'request_timeout']);
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

  /** Asks `url`'s /health/ready until `seen` holds for its answer (at most 20 s), and returns that answer. */
  async function readyUntil(seen: (status: number) => boolean, url = worker.url) {
    for (const deadline = Date.now() + 20_000; ;) {
      const response = await fetch(`${url}/health/ready`, { headers: { 'x-api-key': keys.operator } });
      const answer = {
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        body: (await response.json()) as any,
      };
      if (seen(answer.status)) return answer;
      assert.ok(Date.now() < deadline, `still ${answer.status}: ${JSON.stringify(answer.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** What a probe or script reads of a readiness answer: its keys, and those of the report it carries. */
  const shapeOf = ({ status, body }: { status: number; body: any }) => ({
    status,
    answer: Object.keys(body).sort(),
    report: Object.keys(status === 200 ? body : body.details).sort(),
  });

  /** An api on the worker's database and Redis: ready, or never (free disk below an unreachable minimum). */
  const startApi = (ready: boolean) =>
    startEngram(
      'serve',
      {
        REDIS_URL: redis.url,
        MCP_MEMORY_SQLITE_PATH: db,
        ENGRAM_EMBEDDING_PROVIDER: 'openai',
        MCP_EXTERNAL_EMBEDDING_URL: model.url,
        MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
        ...(ready ? {} : { ENGRAM_MIN_FREE_DISK_BYTES: String(Number.MAX_SAFE_INTEGER) }),
      },
      dir,
      'Engram ready',
    );

  it("answers readiness in the api's shape, 200 and 503 alike: not ready while Redis is gone, ready once it is back", async () => {
    const [api, starvedApi] = await Promise.all([startApi(true), startApi(false)]);
    let apiReady: Awaited<ReturnType<typeof readyUntil>>;
    let apiNotReady: typeof apiReady;
    try {
      apiReady = await readyUntil((status) => status === 200, api.url);
      apiNotReady = await readyUntil((status) => status === 503, starvedApi.url);
    } finally {
      await Promise.all([api.stop(), starvedApi.stop()]);
    }
    const ready = await readyUntil((status) => status === 200);
    assert.deepEqual(shapeOf(ready), shapeOf(apiReady), JSON.stringify([ready.body, apiReady.body]));
    assert.deepEqual(ready.body.info, ready.body.details, 'every check up');
    assert.deepEqual(Object.keys(ready.body.details).sort(), ['database', 'queue']);

    await redis.stop();
    try {
      const down = await readyUntil((status) => status !== 200);
      assert.equal(down.status, 503, JSON.stringify(down.body));
      assert.deepEqual(shapeOf(down), shapeOf(apiNotReady), JSON.stringify([down.body, apiNotReady.body]));
      assert.deepEqual([down.body.error, down.body.message], ['service_unavailable', 'Not ready']);
      assert.equal(down.body.details.status, 'error');
      assert.equal(down.body.details.error.queue.status, 'down');
      assert.match(down.body.details.error.queue.message, /^Redis unreachable/);
      assert.equal(down.body.details.info.database.status, 'up');
      assert.deepEqual(Object.keys(down.body.details.details).sort(), ['database', 'queue']);
      assert.equal(down.retryAfter, '5', 'the Retry-After every 503 of the api carries');
      assert.equal(down.retryAfter, apiNotReady.retryAfter);
    } finally {
      await redis.start();
    }
    const up = await readyUntil((status) => status === 200);
    assert.equal(up.body.status, 'ok');
    assert.equal(up.body.details.queue.status, 'up');
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
