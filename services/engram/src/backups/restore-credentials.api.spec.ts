import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runJob } from '../testing/job-helpers';
import { startTestApp, TestApp } from '../testing/test-app';

const ADMIN = 'restore-admin-key-0123456789';

describe('restore and credentials', () => {
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

  it('refuses backups to a key bound to a namespace, even an admin one', async () => {
    const bound = (
      await admin('POST', '/api/admin/keys', { body: { name: 'team', scopes: ['admin'], namespace: 'team' } })
    ).body;
    assert.equal((await api.request('POST', '/api/admin/backup', as(bound.key))).status, 403);
    assert.equal((await api.request('GET', '/api/admin/backups', as(bound.key))).status, 403);
    assert.equal((await api.request('GET', '/api/jobs', as(bound.key))).status, 403);
  });
});
