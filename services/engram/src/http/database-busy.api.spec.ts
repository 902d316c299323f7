import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import { startTestApp, TestApp } from '../testing/test-app';

describe('another process holding the write lock (a restore swap, a reindex switch)', () => {
  let api: TestApp;

  before(async () => {
    api = await startTestApp({ MCP_MEMORY_SQLITE_PRAGMAS: 'busy_timeout=100' });
  });
  after(() => api.close());

  it('answers writes 503 database_busy with Retry-After while reads keep working, then accepts writes again', async () => {
    const other = new Database(api.config.storage.sqlitePath);
    other.exec('BEGIN IMMEDIATE');
    try {
      const write = await api.request('POST', '/api/memories', { body: { content: 'written during a swap' } });
      assert.equal(write.status, 503);
      assert.equal(write.body.error, 'database_busy');
      assert.equal(write.headers.get('retry-after'), '5');
      assert.equal((await api.request('GET', '/api/memories')).status, 200);
      const metrics = (await api.request('GET', '/metrics')).text;
      assert.match(metrics, /^engram_database_busy_total\{surface="http"\} 1$/m, 'counted for the alert rules');
      assert.match(metrics, /^engram_ready\{check="database"\} 0$/m, 'and the api reports itself not ready');
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    assert.equal((await api.request('POST', '/api/memories', { body: { content: 'written after' } })).status, 201);
    assert.match((await api.request('GET', '/metrics')).text, /^engram_ready\{check="database"\} 1$/m);
  });
});
