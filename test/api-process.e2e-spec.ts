import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { call, runApiToExit, startApi, tempDir } from './process-harness';

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
      },
      dir,
    );
    assert.equal(result.code, 78);
    const lines = result.stderr.split('\n').filter((line) => line.startsWith('  - '));
    assert.equal(lines.length, 3, result.stderr);
    assert.match(result.stderr, /MCP_HTTP_PORT=eighty/);
    assert.match(result.stderr, /MCP_MEMORY_STORAGE_BACKEND=milvus is not supported; accepted values: sqlite_vec/);
    assert.match(result.stderr, /journal_mode=DELETE/);
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
