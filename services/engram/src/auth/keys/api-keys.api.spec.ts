import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { callTool, connectHttpClient } from '../../testing/mcp-client';
import { startTestApp, TestApp } from '../../testing/test-app';
import { SQLITE_DATABASE } from '../../storage/storage.module';
import { SqliteDatabase } from '../../storage/sqlite.connection';
import { ApiKeyService } from './api-key.service';

const BOOTSTRAP = 'bootstrap-key-0123456789abcdef';

describe('scoped API keys and namespaces', () => {
  let api: TestApp;
  const as = (key: string, extra: Record<string, string> = {}) => ({
    headers: { authorization: `Bearer ${key}`, ...extra },
  });
  const createKey = async (body: Record<string, unknown>) => {
    const response = await api.request('POST', '/api/admin/keys', { ...as(BOOTSTRAP), body });
    assert.equal(response.status, 201, response.text);
    return response.body as { key: string; id: string; prefix: string };
  };

  before(async () => {
    api = await startTestApp({ MCP_API_KEY: BOOTSTRAP });
  });
  after(() => api.close());

  it('creates keys whose secret is shown once and stored only as a digest', async () => {
    const created = await createKey({ name: 'reader', scopes: ['read'] });
    assert.match(created.key, /^egk_[A-Za-z0-9_-]{40,}$/);
    assert.ok(created.key.startsWith(created.prefix));
    const listed = await api.request('GET', '/api/admin/keys', as(BOOTSTRAP));
    assert.equal(listed.status, 200);
    assert.ok(!listed.text.includes(created.key));
    const entry = listed.body.keys.find((key: { id: string }) => key.id === created.id);
    assert.deepEqual(entry.scopes, ['read']);
    assert.equal(entry.namespace, null);
    const database = readFileSync(join(api.dir, 'engram.db'));
    const wal = readFileSync(join(api.dir, 'engram.db-wal'));
    assert.ok(!database.includes(created.key) && !wal.includes(created.key), 'the secret is not in the database');
  });

  it('checks the scope of every REST call: read keys read (searches included) and cannot write', async () => {
    const { key } = await createKey({ name: 'reader', scopes: ['read'] });
    assert.equal((await api.request('GET', '/api/memories', as(key))).status, 200);
    assert.equal((await api.request('POST', '/api/search', { ...as(key), body: { query: 'anything' } })).status, 200);
    const write = await api.request('POST', '/api/memories', { ...as(key), body: { content: 'not allowed' } });
    assert.equal(write.status, 403);
    assert.equal(write.body.error, 'forbidden');
    assert.match(write.body.message, /needs the "write" scope/);
    assert.equal((await api.request('GET', '/api/admin/keys', as(key))).status, 403);
  });

  it('keeps namespaces apart: a bound key sees only its own, and cannot ask for another', async () => {
    const teamA = (await createKey({ name: 'team a', scopes: ['write'], namespace: 'team-a' })).key;
    const unbound = (await createKey({ name: 'ops', scopes: ['write'] })).key;
    const stored = await api.request('POST', '/api/memories', {
      ...as(teamA),
      body: { content: 'team a secret plan' },
    });
    assert.equal(stored.status, 201);
    const hash = stored.body.content_hash;
    assert.equal(stored.body.memory.content, 'team a secret plan');

    assert.equal((await api.request('GET', `/api/memories/${hash}`, as(unbound))).status, 404);
    assert.equal((await api.request('GET', `/api/memories/${hash}`, as(BOOTSTRAP))).status, 404);
    const search = await api.request('POST', '/api/search', { ...as(unbound), body: { query: 'team a secret plan' } });
    assert.equal(search.body.total_found, 0);
    const chosen = as(unbound, { 'x-engram-namespace': 'team-a' });
    assert.equal((await api.request('GET', `/api/memories/${hash}`, chosen)).status, 200);

    const escape = await api.request('GET', '/api/memories', as(teamA, { 'x-engram-namespace': 'default' }));
    assert.equal(escape.status, 403);
    assert.match(escape.body.message, /bound to namespace "team-a"/);
    const bad = await api.request('GET', '/api/memories', as(unbound, { 'x-engram-namespace': '../etc' }));
    assert.equal(bad.status, 400);
  });

  it('refuses whole-store operations to a namespace-bound admin key', async () => {
    const { key } = await createKey({ name: 'bound admin', scopes: ['admin'], namespace: 'team-a' });
    assert.equal((await api.request('GET', '/api/memories', as(key))).status, 200);
    const keys = await api.request('GET', '/api/admin/keys', as(key));
    assert.equal(keys.status, 403);
    assert.match(keys.body.message, /not bound to a namespace/);
  });

  it('stops accepting a revoked key at once', async () => {
    const { key, id } = await createKey({ name: 'temp', scopes: ['read'] });
    assert.equal((await api.request('GET', '/api/memories', as(key))).status, 200);
    const revoked = await api.request('DELETE', `/api/admin/keys/${id}`, as(BOOTSTRAP));
    assert.equal(revoked.status, 200);
    assert.ok(revoked.body.revoked_at);
    assert.equal((await api.request('GET', '/api/memories', as(key))).status, 401);
    assert.equal((await api.request('DELETE', '/api/admin/keys/not-a-uuid', as(BOOTSTRAP))).status, 400);
    const unknown = await api.request(
      'DELETE',
      `/api/admin/keys/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`,
      as(BOOTSTRAP),
    );
    assert.equal(unknown.status, 404);
  });

  it('refuses bad key requests with a message naming the field', async () => {
    const response = await api.request('POST', '/api/admin/keys', {
      ...as(BOOTSTRAP),
      body: { name: 'x', scopes: ['root'] },
    });
    assert.equal(response.status, 400);
    assert.match(JSON.stringify(response.body), /scopes/);
  });

  it('checks MCP tools by their annotations and confines them to the namespace', async () => {
    const reader = (await createKey({ name: 'mcp reader', scopes: ['read'] })).key;
    const writer = (await createKey({ name: 'mcp team b', scopes: ['write'], namespace: 'team-b' })).key;
    const { client: readClient } = await connectHttpClient(api.url, reader);
    const { client: writeClient } = await connectHttpClient(api.url, writer);
    try {
      const refused = await callTool(readClient, 'memory_store', { content: 'reader cannot store' });
      assert.equal(refused.isError, true);
      assert.match(refused.text, /memory_store needs the "write" scope/);
      assert.equal((await callTool(readClient, 'memory_stats')).isError, undefined);

      const stored = await callTool(writeClient, 'memory_store', { content: 'team b memory over MCP' });
      assert.equal(stored.structured.created, true);
      const fromDefault = await callTool(readClient, 'memory_get', { content_hash: stored.structured.content_hash });
      assert.equal(fromDefault.isError, true);
      const fromTeamB = await callTool(writeClient, 'memory_get', { content_hash: stored.structured.content_hash });
      assert.equal(fromTeamB.structured.memory.content, 'team b memory over MCP');
    } finally {
      await Promise.all([readClient.close(), writeClient.close()]);
    }
  });

  it('answers 429 with Retry-After after too many wrong keys from one address', async () => {
    // Earlier tests in this file already spent a few failures from this address.
    const statuses: number[] = [];
    for (let i = 0; i < 31 && !statuses.includes(429); i++) {
      statuses.push((await api.request('GET', '/api/memories', as(`egk_wrong-${i}`))).status);
    }
    assert.equal(statuses.at(-1), 429);
    assert.ok(statuses.slice(0, -1).every((status) => status === 401));
    assert.ok(statuses.length >= 25, `limited after ${statuses.length} attempts`);
    const limited = await api.request('GET', '/api/memories', as('egk_wrong-again'));
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.equal((await api.request('GET', '/api/memories', as(BOOTSTRAP))).status, 200, 'a valid key is still served');
  });
});

describe('a server without MCP_API_KEY', () => {
  it('is open until the first key is created, then requires credentials', async () => {
    const api = await startTestApp({});
    try {
      assert.equal((await api.request('GET', '/api/memories')).status, 200);
      const created = await api.request('POST', '/api/admin/keys', { body: { name: 'first', scopes: ['admin'] } });
      assert.equal(created.status, 201);
      assert.equal((await api.request('GET', '/api/memories')).status, 401);
      const withKey = await api.request('GET', '/api/memories', { headers: { 'x-api-key': created.body.key } });
      assert.equal(withKey.status, 200);
      await api.request('DELETE', `/api/admin/keys/${created.body.id}`, { headers: { 'x-api-key': created.body.key } });
      assert.equal((await api.request('GET', '/api/memories')).status, 401, 'revoking the last key does not open it');
    } finally {
      await api.close();
    }
  });

  it('refuses a first key that is not a whole-store admin key, and warns when a key ends keyless access', async () => {
    const api = await startTestApp({});
    try {
      for (const body of [
        { name: 'alice', scopes: ['read', 'write'], namespace: 'alice' },
        { name: 'bound admin', scopes: ['admin'], namespace: 'alice' },
      ]) {
        const refused = await api.request('POST', '/api/admin/keys', { body });
        assert.equal(refused.status, 422, JSON.stringify(body));
        assert.match(refused.body.message, /Create an admin key first/);
      }
      assert.equal((await api.request('GET', '/api/memories')).status, 200, 'nothing was stored: still open');
      const admin = await api.request('POST', '/api/admin/keys', { body: { name: 'admin', scopes: ['admin'] } });
      assert.equal(admin.status, 201);
      assert.match(admin.body.warning, /now requires a key on every request/);
      const as = { headers: { 'x-api-key': admin.body.key } };
      const alice = await api.request('POST', '/api/admin/keys', { ...as, body: { name: 'a', scopes: ['read'] } });
      assert.equal(alice.status, 201);
      assert.equal(alice.body.warning, undefined);
    } finally {
      await api.close();
    }
  });

  it('expires keys at their expiry time', async () => {
    const api = await startTestApp({});
    try {
      const keys = api.app.get(ApiKeyService);
      const { key } = await keys.create({ name: 'short', scopes: ['admin'], expiresAt: Date.now() + 60_000 });
      assert.ok(await keys.authenticate(key));
      assert.equal(await keys.authenticate(key, Date.now() + 61_000), undefined);
    } finally {
      await api.close();
    }
  });
});

describe('API keys when the credential store fails', () => {
  it('answers 503 and lets nothing through, with or without a bootstrap key', async () => {
    for (const env of [{ MCP_API_KEY: BOOTSTRAP }, {}] as Record<string, string>[]) {
      const api = await startTestApp(env);
      try {
        const admin = await api.request('POST', '/api/admin/keys', {
          headers: { 'x-api-key': BOOTSTRAP },
          body: { name: 'admin', scopes: ['admin'] },
        });
        assert.equal(admin.status, 201, admin.text);
        api.app.get<SqliteDatabase>(SQLITE_DATABASE).close();
        const refused = await api.request('GET', '/api/memories', { headers: { 'x-api-key': admin.body.key } });
        assert.equal(refused.status, 503, refused.text);
        assert.equal(refused.body.error, 'store_busy');
        assert.equal(refused.headers.get('retry-after'), '5', 'worth retrying, and says when');
        // Keyless until now: whether a key exists is a store question too, so the answer is 503, not open.
        const bare = await api.request('GET', '/api/memories');
        assert.equal(bare.status, 'MCP_API_KEY' in env ? 401 : 503, bare.text);
      } finally {
        await api.close();
      }
    }
  });
});
