import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import { runJob } from '../testing/job-helpers';
import { startTestApp, TestApp } from '../testing/test-app';

const ADMIN = 'restore-admin-key-0123456789';

describe('restore, credentials and the store identity', () => {
  let api: TestApp;
  const as = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });
  const admin = (method: string, path: string, options: { body?: unknown } = {}) =>
    api.request(method, path, { ...options, ...as(ADMIN) });

  before(async () => {
    api = await startTestApp({ MCP_API_KEY: ADMIN });
  });
  after(() => api.close());

  it('leaves keys as they are: a restore neither revives a revoked key nor drops a newer one', async () => {
    const revokedLater = (await admin('POST', '/api/admin/keys', { body: { name: 'old', scopes: ['read'] } })).body;
    const backup = await runJob(admin, '/api/admin/backup');
    assert.equal(backup.state, 'completed', backup.error);
    await admin('DELETE', `/api/admin/keys/${revokedLater.id}`);
    const newer = (await admin('POST', '/api/admin/keys', { body: { name: 'new', scopes: ['read'] } })).body;

    const restore = await runJob(admin, '/api/admin/restore', { backup_id: backup.result.backup_id });
    assert.equal(restore.state, 'completed', restore.error);
    assert.equal((await api.request('GET', '/api/memories', as(revokedLater.key))).status, 401);
    assert.equal((await api.request('GET', '/api/memories', as(newer.key))).status, 200);
  });

  it('keeps the store id (and so its Redis prefix) when it restores a backup that carries another', async () => {
    const backup = await runJob(admin, '/api/admin/backup');
    const db = new Database(api.config.storage.sqlitePath);
    const storeId = () => db.prepare('SELECT store_id FROM store_identity').pluck().get();
    try {
      // As if the backup came from another deployment: the live store now has an id the backup lacks.
      db.prepare('UPDATE store_identity SET store_id = ?').run('f'.repeat(32));
      const restore = await runJob(admin, '/api/admin/restore', { backup_id: backup.result.backup_id });
      assert.equal(restore.state, 'completed', restore.error);
      assert.equal(storeId(), 'f'.repeat(32));
    } finally {
      db.close();
    }
  });

  it('refuses backups to a key bound to a namespace, even an admin one', async () => {
    const bound = (
      await admin('POST', '/api/admin/keys', { body: { name: 'team', scopes: ['admin'], namespace: 'team' } })
    ).body;
    assert.equal((await api.request('POST', '/api/admin/backup', as(bound.key))).status, 403);
    assert.equal((await api.request('GET', '/api/admin/backups', as(bound.key))).status, 403);
    assert.equal((await api.request('GET', '/api/jobs', as(bound.key))).status, 403);
  });
});
