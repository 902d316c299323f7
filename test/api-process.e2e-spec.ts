import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { call, runApiToExit, serviceHelper, startApi, tempDir } from './process-harness';

const { rawAnswer, slowHeaderParts, trickledExchange } = serviceHelper('testing/raw-request.js');

describe('the api process (node dist/main.js)', () => {
  it('starts on embedded defaults, serves REST, and stops cleanly on SIGTERM', async () => {
    const dir = tempDir();
    const api = await startApi({}, dir);
    try {
      assert.deepEqual((await call(api.url, 'GET', '/api/health')).body, { status: 'healthy' });
      const stored = await call(api.url, 'POST', '/api/memories', {
        content: 'e2e: the boiler is serviced in October',
      });
      assert.equal(stored.status, 201);
      const found = await call(api.url, 'POST', '/api/search', { query: 'when is the heating checked?', limit: 1 });
      assert.equal(found.body.results[0].memory.content_hash, stored.body.content_hash);

      const port = new URL(api.url).port;
      const busy = await runApiToExit({ MCP_HTTP_PORT: port }, dir);
      assert.equal(busy.code, 69);
      assert.equal(
        busy.stderr,
        `engram: port ${port} on 127.0.0.1 is in use (another Engram?); stop it or choose another port with MCP_HTTP_PORT or --port\n`,
      );
      assert.doesNotMatch(busy.stdout, /EADDRINUSE/);
    } finally {
      assert.equal(await api.stop('SIGTERM'), 0);
    }
    assert.match(api.output(), /"Engram ready"/);
    assert.match(api.output(), /"mode":"keyless: loopback only, no key needed until the first key is created"/);
    assert.match(api.output(), /"dashboard":"http:\/\/localhost:\d+\/"/);
    assert.match(api.output(), /No database yet: creating a new, empty one/);
    const startUp = api.output().slice(0, api.output().indexOf('Engram ready'));
    assert.ok(startUp.split('\n').length <= 6, `start-up took ${startUp.split('\n').length} lines:\n${startUp}`);
    assert.doesNotMatch(api.output(), /RouterExplorer|Mapped \{/, 'no route table at info level');
    assert.match(api.output(), new RegExp(join(dir, 'data', 'engram.db').replaceAll('/', '\\/')));
  });

  it('keeps acknowledged writes through a crash (SIGKILL right after the 201)', async () => {
    const dir = tempDir();
    const first = await startApi({}, dir);
    const hashes: string[] = [];
    for (let i = 0; i < 20; i++) {
      const stored = await call(first.url, 'POST', '/api/memories', { content: `crash-safety memory ${i}` });
      assert.equal(stored.status, 201);
      hashes.push(stored.body.content_hash);
    }
    await first.stop('SIGKILL');
    const second = await startApi({}, dir);
    try {
      for (const hash of hashes) assert.equal((await call(second.url, 'GET', `/api/memories/${hash}`)).status, 200);
      const keyword = await call(second.url, 'POST', '/api/search', {
        query: 'crash-safety',
        mode: 'keyword',
        limit: 100,
      });
      assert.equal(keyword.body.results.length, 20, 'the keyword index survived too');
    } finally {
      await second.stop();
    }
  });

  it('refuses invalid configuration with exit code 78 and one line per problem', async () => {
    const dir = tempDir();
    const result = await runApiToExit(
      {
        MCP_HTTP_PORT: 'eighty',
        MCP_MEMORY_STORAGE_BACKEND: 'milvus',
        MCP_MEMORY_SQLITE_PRAGMAS: 'journal_mode=DELETE',
        ENGRAM_HTTP_HEADERS_TIMEOUT_MS: '500',
      },
      dir,
    );
    assert.equal(result.code, 78);
    const lines = result.stderr.split('\n').filter((line) => line.startsWith('  - '));
    assert.equal(lines.length, 4, result.stderr);
    assert.match(result.stderr, /ENGRAM_HTTP_HEADERS_TIMEOUT_MS=500 is not accepted; expected an integer from 1000/);
    assert.match(result.stderr, /MCP_HTTP_PORT=eighty/);
    assert.match(result.stderr, /MCP_MEMORY_STORAGE_BACKEND=milvus is not supported; accepted values: sqlite_vec/);
    assert.match(result.stderr, /journal_mode=DELETE/);
  });

  it('answers 408 request_timeout to a client whose headers or body trickle in past the HTTP timeouts', async () => {
    const dir = tempDir();
    const api = await startApi({ ENGRAM_HTTP_HEADERS_TIMEOUT_MS: '1000', ENGRAM_HTTP_REQUEST_TIMEOUT_MS: '2000' }, dir);
    const timedOut = {
      status: 408,
      body: { error: 'request_timeout', message: 'The request did not arrive in full in time' },
      connection: 'close',
    };
    try {
      const slowHead = rawAnswer(await trickledExchange(api.url, slowHeaderParts('/api/health'), 200));
      assert.deepEqual(
        { status: slowHead.status, body: slowHead.body, connection: slowHead.header('connection') },
        timedOut,
      );
      // The headers at once, then the body a character every 200 ms: 8 s for the whole request.
      const body = JSON.stringify({ content: 'a memory whose body trickles in' });
      const head =
        'POST /api/memories HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
      const slowBody = rawAnswer(await trickledExchange(api.url, [head, ...body], 200));
      assert.deepEqual(
        { status: slowBody.status, body: slowBody.body, connection: slowBody.header('connection') },
        timedOut,
      );
      assert.equal((await call(api.url, 'GET', '/api/memories')).body.total, 0, 'nothing stored');
      assert.equal((await call(api.url, 'GET', '/api/health')).status, 200, 'still serving');
    } finally {
      await api.stop();
    }
    assert.doesNotMatch(api.output(), /unhandled error/);
  });

  it('reads settings from a .env file in its working directory, below the environment', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'from-dotenv')); // a path the user gives names a folder that exists
    writeFileSync(join(dir, '.env'), 'MCP_MEMORY_SQLITE_PATH=from-dotenv/memories.db\nMCP_HTTP_PORT=1\n');
    const api = await startApi({}, dir);
    try {
      assert.equal((await call(api.url, 'GET', '/api/health')).status, 200, 'MCP_HTTP_PORT from the environment wins');
    } finally {
      await api.stop();
    }
    assert.match(api.output(), /from-dotenv\/memories\.db/);
  });
});
