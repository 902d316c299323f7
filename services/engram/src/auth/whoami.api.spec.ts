import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, TestApp } from '../testing/test-app';

const ADMIN_KEY = 'whoami-admin-key-0123456789';

describe('GET /api/auth/whoami: the credential of the request', () => {
  let api: TestApp;
  before(async () => {
    api = await startTestApp({ MCP_API_KEY: ADMIN_KEY });
  });
  after(async () => {
    await api.close();
  });

  const createKey = async (body: Record<string, unknown>) =>
    (await api.request('POST', '/api/admin/keys', { body, headers: { 'X-API-Key': ADMIN_KEY } })).body.key as string;

  it('names the bootstrap key, its namespace, and says it may administer', async () => {
    const me = await api.request('GET', '/api/auth/whoami', {
      headers: { 'X-API-Key': ADMIN_KEY, 'X-Engram-Namespace': 'team-a' },
    });
    assert.equal(me.status, 200);
    assert.deepEqual(me.body, {
      kind: 'bootstrap',
      name: 'MCP_API_KEY',
      scopes: ['admin'],
      namespace: 'team-a',
      bound_namespace: null,
      admin: true,
    });
  });

  it('names a stored key; one bound to a namespace is not an administrator, even with the admin scope', async () => {
    const reader = await createKey({ name: 'alice laptop', scopes: ['read'], namespace: 'alice' });
    const boundAdmin = await createKey({ name: 'alice admin', scopes: ['admin'], namespace: 'alice' });
    const me = await api.request('GET', '/api/auth/whoami', { headers: { Authorization: `Bearer ${reader}` } });
    assert.deepEqual(me.body, {
      kind: 'api_key',
      name: 'alice laptop',
      scopes: ['read'],
      namespace: 'alice',
      bound_namespace: 'alice',
      admin: false,
    });
    const admin = await api.request('GET', '/api/auth/whoami', { headers: { 'X-API-Key': boundAdmin } });
    assert.equal(admin.body.admin, false);
  });

  it('answers 401 without a credential', async () => {
    assert.equal((await api.request('GET', '/api/auth/whoami')).status, 401);
  });
});
