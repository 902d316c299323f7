import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, TestApp } from '../testing/test-app';
import { SQLITE_DATABASE } from './storage.module';
import { SqliteDatabase } from './sqlite.connection';

describe('the keyword index through edits and deletes (real api, real SQLite)', () => {
  let api: TestApp;
  const keyword = (query: string) => api.request('POST', '/api/search', { body: { query, mode: 'keyword' } });

  before(async () => {
    api = await startTestApp();
  });
  after(() => api.close());

  it('follows content edits, soft and hard deletes, and stays consistent', async () => {
    const stored = await api.request('POST', '/api/memories', { body: { content: 'The aquarium pump hums loudly' } });
    const other = await api.request('POST', '/api/memories', { body: { content: 'The garden pump is quiet' } });
    const edited = await api.request('PUT', `/api/memories/${stored.body.content_hash}`, {
      body: { content: 'The aquarium filter hums loudly' },
    });
    assert.equal(edited.status, 200);

    const filter = await keyword('filter');
    assert.equal(filter.status, 200, filter.text);
    assert.deepEqual(
      filter.body.results.map((hit: any) => hit.memory.content),
      ['The aquarium filter hums loudly'],
    );
    const pump = await keyword('pump');
    assert.deepEqual(
      pump.body.results.map((hit: any) => hit.memory.content),
      ['The garden pump is quiet'],
    );

    await api.request('DELETE', `/api/memories/${other.body.content_hash}`);
    assert.equal((await keyword('garden')).body.results.length, 0);
    await api.request('DELETE', `/api/memories/${edited.body.memory.content_hash}?hard=true`);
    assert.equal((await keyword('aquarium')).body.results.length, 0);

    const db = api.app.get<SqliteDatabase>(SQLITE_DATABASE);
    assert.doesNotThrow(() => db.exec("INSERT INTO memories_fts (memories_fts) VALUES ('integrity-check')"));
  });
});
