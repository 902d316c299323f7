import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteDatabase } from '../storage/sqlite.connection';
import { SQLITE_DATABASE } from '../storage/storage.module';
import { waitForJob } from '../testing/job-helpers';
import { callTool, connectHttpClient } from '../testing/mcp-client';
import { act, answer, MemAgentTestDouble, startMemAgentTestDouble } from '../testing/mem-agent.test-double';
import { registerAndConsent, startOAuthTestApp } from '../testing/oauth-flow';
import { makeTempDir, startTestApp, TestApp } from '../testing/test-app';
import { AuditService } from './audit.service';
import { AUDIT_REPOSITORY, AuditRepository } from './audit.repository';
import { AuditAction } from './audit-event';

const BOOTSTRAP = 'audit-bootstrap-key-0123456789';
const DAY_MS = 86_400_000;

interface Entry {
  id: number;
  at: string;
  action: string;
  outcome: string;
  principal: { kind: string; id: string; name: string | null };
  namespace: string | null;
  client_address: string;
  target: string | null;
  details: Record<string, any>;
}

describe('the audit log (GET /api/admin/audit)', () => {
  let api: TestApp;
  let model: MemAgentTestDouble;
  const ops = { key: '', id: '' };
  const writer = { key: '', id: '' };
  const as = (key: string, address = '203.0.113.1') => ({ authorization: `Bearer ${key}`, 'x-forwarded-for': address });
  const audit = async (query = ''): Promise<{ events: Entry[]; next_cursor: number | null }> => {
    const response = await api.request('GET', `/api/admin/audit${query}`, { headers: as(BOOTSTRAP) });
    assert.equal(response.status, 200, response.text);
    return response.body;
  };
  const find = async (action: string, target?: string) =>
    (await audit(`?action=${action}&limit=500`)).events.filter(
      (entry) => target === undefined || entry.target === target,
    );
  const createKey = async (body: Record<string, unknown>, key = BOOTSTRAP, address?: string) => {
    const response = await api.request('POST', '/api/admin/keys', { headers: as(key, address), body });
    assert.equal(response.status, 201, response.text);
    return response.body as { key: string; id: string };
  };

  before(async () => {
    model = await startMemAgentTestDouble([
      {
        question: 'Remember that I drink green tea',
        turns: [
          act('Write it down.', 'done = create_file("drinks.md", "# Drinks\\n- green tea\\n")'),
          answer('Saved.', 'Noted: green tea.'),
        ],
      },
      { question: 'What do I drink?', turns: [answer('Nothing to change.', 'I do not know yet.')] },
    ]);
    const dir = makeTempDir();
    mkdirSync(join(dir, 'memory'), { recursive: true });
    api = await startTestApp(
      {
        MCP_API_KEY: BOOTSTRAP,
        ENGRAM_TRUSTED_PROXIES: '127.0.0.1/32',
        ENGRAM_AGENT_BASE_URL: model.url,
        MEMORY_DIR: join(dir, 'memory'),
      },
      dir,
    );
    Object.assign(ops, await createKey({ name: 'ops', scopes: ['admin'] }));
    Object.assign(writer, await createKey({ name: 'team a writer', scopes: ['write'], namespace: 'team-a' }));
  });
  after(async () => {
    await api.close();
    await model.close();
  });

  it('records who created and revoked a key and from which address, never the secret', async () => {
    const created = await createKey({ name: 'laptop', scopes: ['read', 'write'] }, BOOTSTRAP, '203.0.113.5');
    const revoked = await api.request('DELETE', `/api/admin/keys/${created.id}`, {
      headers: as(ops.key, '198.51.100.8'),
    });
    assert.equal(revoked.status, 200);

    const [creation] = await find('key.create', created.id);
    assert.equal(creation.outcome, 'success');
    assert.deepEqual(creation.principal, { kind: 'bootstrap', id: 'MCP_API_KEY', name: 'MCP_API_KEY' });
    assert.equal(creation.client_address, '203.0.113.5');
    assert.equal(creation.namespace, null);
    assert.deepEqual(creation.details, { name: 'laptop', scopes: ['read', 'write'], expires_at: null });
    const [revocation] = await find('key.revoke', created.id);
    assert.deepEqual(revocation.principal, { kind: 'api_key', id: ops.id, name: 'ops' });
    assert.equal(revocation.client_address, '198.51.100.8');
    const [bound] = await find('key.create', writer.id);
    assert.equal(bound.namespace, 'team-a', 'a bound key is recorded under its namespace');

    const stored = api.app
      .get<SqliteDatabase>(SQLITE_DATABASE)
      .prepare('SELECT * FROM audit_events')
      .all()
      .map((row) => JSON.stringify(row))
      .join('\n');
    for (const secret of [created.key, ops.key, writer.key, BOOTSTRAP]) {
      assert.ok(!stored.includes(secret), 'a secret is in the audit log');
    }
  });

  it('records backups, restores and reindexing: the request under the caller, the end under the job runner', async () => {
    const backup = await api.request('POST', '/api/backup/now', { headers: as(ops.key, '198.51.100.9') });
    assert.equal(backup.status, 200, backup.text);
    const entries = await find('backup', backup.body.job_id);
    assert.deepEqual(
      entries.map((entry) => [entry.outcome, entry.principal.name ?? entry.principal.id, entry.client_address]),
      [
        ['success', 'job-runner', 'local'],
        ['requested', 'ops', '198.51.100.9'],
      ],
    );
    assert.equal(entries[0].details.backup_id, backup.body.backup_id);
    assert.equal(entries[1].details.reason, 'manual');

    const before = (await audit('?limit=500')).events.length;
    const restore = await api.request('POST', '/api/admin/restore', {
      headers: as(ops.key),
      body: { backup_id: backup.body.backup_id },
    });
    assert.equal(restore.status, 202, restore.text);
    const job = await waitForJob(
      (method, path) => api.request(method, path, { headers: as(BOOTSTRAP) }),
      restore.body.job_id,
    );
    assert.equal(job.state, 'completed', job.error);
    const restored = await find('restore', restore.body.job_id);
    assert.deepEqual(
      restored.map((entry) => entry.outcome),
      ['success', 'requested'],
    );
    assert.equal(restored[1].details.backup_id, backup.body.backup_id);
    assert.ok((await audit('?limit=500')).events.length >= before + 2, 'a restore does not rewrite the audit log');

    const reindex = await api.request('POST', '/api/admin/reindex', { headers: as(ops.key) });
    assert.equal(reindex.status, 202);
    const [requested] = await find('reindex', reindex.body.job_id);
    assert.equal(requested.outcome, 'requested');
    assert.equal(requested.namespace, null, 'whole-store actions have no namespace');
    await waitForJob((method, path) => api.request(method, path, { headers: as(BOOTSTRAP) }), reindex.body.job_id);
  });

  it('records imports and deletes by filter in the namespace they touched', async () => {
    const form = new FormData();
    form.append('source', 'markdown');
    form.append('file', new Blob(['# Trip\n\nThe secret plan for the offsite.']), 'trip.md');
    const upload = await fetch(`${api.url}/api/import`, { method: 'POST', headers: as(writer.key), body: form });
    assert.equal(upload.status, 202);
    const { job_id } = (await upload.json()) as { job_id: string };
    await waitForJob((method, path) => api.request(method, path, { headers: as(BOOTSTRAP) }), job_id);
    const imports = await find('import', job_id);
    assert.deepEqual(
      imports.map((entry) => [entry.outcome, entry.namespace]),
      [
        ['success', 'team-a'],
        ['requested', 'team-a'],
      ],
    );
    assert.equal(imports[1].principal.name, 'team a writer');
    assert.deepEqual(
      { source: imports[1].details.source, target: imports[1].details.target, file: imports[1].details.file },
      { source: 'markdown', target: 'memories', file: 'trip.md' },
    );
    assert.ok(imports[0].details.stored >= 1);
    assert.ok(!JSON.stringify(imports).includes('secret plan'), 'imported content is in the audit log');

    const stored = await api.request('POST', '/api/memories', {
      headers: as(writer.key),
      body: { content: 'a note to drop', tags: ['obsolete'] },
    });
    assert.equal(stored.status, 201);
    const { client } = await connectHttpClient(api.url, writer.key);
    try {
      const preview = await callTool(client, 'memory_delete', { tags: ['obsolete'], dry_run: true });
      assert.equal(preview.structured.matched, 1);
      assert.equal(
        (await find('memories.delete_by_filter')).length,
        0,
        'a dry run changes nothing and is not recorded',
      );
      await callTool(client, 'memory_delete', { tags: ['obsolete'], dry_run: false });
    } finally {
      await client.close();
    }
    const [deletion] = await find('memories.delete_by_filter');
    assert.equal(deletion.namespace, 'team-a');
    assert.equal(deletion.principal.name, 'team a writer');
    assert.equal(deletion.details.deleted, 1);
    assert.deepEqual(deletion.details.filter.tags, ['obsolete']);
    const dropped = stored.body.memory.content_hash;
    assert.equal(
      (await find('memories.delete', dropped)).length,
      0,
      'a filter delete is one entry, not one per memory',
    );
  });

  it('records each delete of one memory by hash (REST soft and hard, MCP, legacy MCP) in its namespace, not refusals', async () => {
    const store = async (content: string, tags: string[] = []) => {
      const stored = await api.request('POST', '/api/memories', { headers: as(writer.key), body: { content, tags } });
      assert.equal(stored.status, 201, stored.text);
      return stored.body.memory.content_hash as string;
    };
    const [soft, hard, byTool, byLegacyTool] = [
      await store('the shed key is under the blue pot'),
      await store('the wifi password is on the fridge'),
      await store('the bike lock code is 9753'),
      await store('the spare fuse is in the hall cupboard'),
    ];
    const remove = (path: string, address?: string) =>
      api.request('DELETE', `/api/memories/${path}`, { headers: as(writer.key, address) });

    assert.equal((await remove(soft, '203.0.113.31')).status, 200);
    assert.equal((await remove(`${hard}?hard=true`, '203.0.113.32')).status, 200);
    const { client } = await connectHttpClient(api.url, writer.key);
    try {
      assert.equal((await callTool(client, 'memory_delete', { content_hash: byTool })).structured.deleted, 1);
      assert.equal((await callTool(client, 'delete_memory', { content_hash: byLegacyTool })).structured.success, true);
      // A dry run by hash changes nothing: no entry.
      const kept = await store('the gate code is 1357');
      assert.equal(
        (await callTool(client, 'memory_delete', { content_hash: kept, dry_run: true })).structured.deleted,
        0,
      );
      assert.equal((await find('memories.delete', kept)).length, 0, 'a dry run is recorded');
    } finally {
      await client.close();
    }

    const byWriter = { kind: 'api_key', id: writer.id, name: 'team a writer' };
    const entries = [];
    for (const hash of [soft, hard, byTool, byLegacyTool]) {
      const found = await find('memories.delete', hash);
      assert.equal(found.length, 1, `one entry for the delete of ${hash}`);
      assert.deepEqual([found[0].outcome, found[0].principal, found[0].namespace], ['success', byWriter, 'team-a']);
      entries.push(found[0]);
    }
    assert.deepEqual(
      entries.map((entry) => [entry.client_address, entry.details]),
      [
        ['203.0.113.31', {}],
        ['203.0.113.32', { hard: true }],
        ['127.0.0.1', {}],
        ['127.0.0.1', {}],
      ],
      'only the delete for good says hard (the MCP client connects from loopback, without a proxy header)',
    );

    // Deleting what is gone (404) changes nothing: no entry.
    assert.equal((await remove(soft)).status, 404);
    assert.equal((await remove('c'.repeat(64))).status, 404);
    assert.equal((await find('memories.delete', soft)).length, 1);
    assert.equal((await find('memories.delete', 'c'.repeat(64))).length, 0);
    assert.ok(!JSON.stringify(entries).match(/shed|wifi|bike|fuse/), 'memory content is in the audit log');
  });

  it('records restores and purges from the trash (REST, MCP) by content hash in their namespace, not refusals', async () => {
    const content = 'the locker code is 2468';
    const memories = (method: string, path: string, address?: string) =>
      api.request(method, `/api/memories${path}`, { headers: as(writer.key, address) });
    const stored = await api.request('POST', '/api/memories', { headers: as(writer.key), body: { content } });
    assert.equal(stored.status, 201, stored.text);
    const hash: string = stored.body.memory.content_hash;
    const byWriter = { kind: 'api_key', id: writer.id, name: 'team a writer' };

    assert.equal((await memories('DELETE', `/${hash}`)).status, 200);
    assert.equal((await memories('POST', `/${hash}/restore`, '203.0.113.21')).status, 200);
    assert.equal((await memories('DELETE', `/${hash}`)).status, 200);
    const { client } = await connectHttpClient(api.url, writer.key);
    try {
      assert.equal((await callTool(client, 'memory_restore', { content_hash: hash })).structured.success, true);
    } finally {
      await client.close();
    }
    const restores = await find('memories.restore', hash);
    assert.equal(restores.length, 2, 'one entry for each restore, by REST then by MCP');
    for (const entry of restores) {
      assert.deepEqual([entry.outcome, entry.principal, entry.namespace], ['success', byWriter, 'team-a']);
    }
    assert.equal(restores[1].client_address, '203.0.113.21');

    // A restore refused (the text is live again) or of a hash not in the trash changes nothing: no entry.
    assert.equal((await memories('DELETE', `/${hash}`)).status, 200);
    assert.equal(
      (await api.request('POST', '/api/memories', { headers: as(writer.key), body: { content } })).status,
      201,
    );
    assert.equal((await memories('POST', `/${hash}/restore`)).status, 409);
    assert.equal((await memories('POST', `/${'b'.repeat(64)}/restore`)).status, 404);
    assert.equal((await find('memories.restore', hash)).length, 2);

    assert.equal((await memories('DELETE', `/${hash}`)).status, 200);
    assert.equal((await memories('DELETE', `/trash/${hash}`, '203.0.113.22')).status, 200);
    assert.equal((await memories('DELETE', `/trash/${hash}`)).status, 404, 'nothing left to purge');
    const purges = await find('memories.purge', hash);
    assert.equal(purges.length, 1);
    assert.deepEqual(
      [purges[0].outcome, purges[0].principal, purges[0].namespace, purges[0].client_address],
      ['success', byWriter, 'team-a', '203.0.113.22'],
    );
    assert.deepEqual(purges[0].details, { deletions: 2 }, 'both deletions of the text went');
    assert.ok(!JSON.stringify([...restores, ...purges]).includes('locker'), 'memory content is in the audit log');
  });

  it('records agent runs that changed files, and only those', async () => {
    const changed = await api.request('POST', '/api/agent/query', {
      headers: as(ops.key, '198.51.100.12'),
      body: { question: 'Remember that I drink green tea' },
    });
    assert.equal(changed.status, 200, changed.text);
    const quiet = await api.request('POST', '/api/agent/query', {
      headers: as(ops.key),
      body: { question: 'What do I drink?' },
    });
    assert.equal(quiet.status, 200, quiet.text);
    const runs = await find('agent.files_change');
    assert.equal(runs.length, 1);
    assert.deepEqual(runs[0].details.files, [{ path: 'drinks.md', change: 'created' }]);
    assert.equal(runs[0].namespace, 'default');
    assert.equal(runs[0].client_address, '198.51.100.12');
  });

  it('filters by action, principal, namespace and time, and pages newest first', async () => {
    const all = (await audit('?limit=500')).events;
    assert.ok(all.length >= 10);
    const first = await audit('?limit=3');
    assert.equal(first.events.length, 3);
    assert.ok(first.next_cursor);
    const second = await audit(`?limit=3&cursor=${first.next_cursor}`);
    const ids = [...first.events, ...second.events].map((entry) => entry.id);
    assert.deepEqual(
      ids,
      all.slice(0, 6).map((entry) => entry.id),
      'pages continue without gaps or repeats',
    );
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => b - a),
      'newest first',
    );

    const byOps = (await audit(`?principal=${ops.id}&limit=500`)).events;
    assert.ok(byOps.length > 0 && byOps.every((entry) => entry.principal.id === ops.id));
    const teamA = (await audit('?namespace=team-a&limit=500')).events;
    assert.ok(teamA.length > 0 && teamA.every((entry) => entry.namespace === 'team-a'));
    const oldest = all.at(-1)!.at;
    assert.equal((await audit(`?until=${encodeURIComponent(oldest)}`)).events.length, 0);
    assert.equal((await audit(`?since=${new Date(Date.now() + DAY_MS).toISOString()}`)).events.length, 0);
    assert.equal((await audit(`?since=${encodeURIComponent(oldest)}&limit=500`)).events.length, all.length);

    const bad = await api.request('GET', '/api/admin/audit?action=everything', { headers: as(BOOTSTRAP) });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /action/);
    assert.equal((await api.request('GET', '/api/admin/audit', { headers: as(writer.key) })).status, 403);
    const boundAdmin = await createKey({ name: 'team a admin', scopes: ['admin'], namespace: 'team-a' });
    assert.equal((await api.request('GET', '/api/admin/audit', { headers: as(boundAdmin.key) })).status, 403);
  });

  it('drops entries older than ENGRAM_AUDIT_RETENTION_DAYS (365 by default)', async () => {
    const repository = api.app.get<AuditRepository>(AUDIT_REPOSITORY);
    const now = Date.now();
    const old = {
      action: AuditAction.Backup,
      outcome: 'success' as const,
      principal: { kind: 'local', id: 'local', name: null },
    };
    const entry = { ...old, namespace: null, clientAddress: 'local', target: 'old', details: {} };
    await repository.append({ ...entry, at: now - 400 * DAY_MS });
    await repository.append({ ...entry, target: 'recent', at: now - 300 * DAY_MS });
    assert.equal(await api.app.get(AuditService).prune(now), 1);
    const kept = (await audit('?action=backup&limit=500')).events.map((event) => event.target);
    assert.ok(kept.includes('recent') && !kept.includes('old'));
  });
});

describe('the audit log of OAuth consents and revocations', () => {
  let api: TestApp;
  let base: string;

  before(async () => {
    api = await startOAuthTestApp(BOOTSTRAP, {
      ENGRAM_TRUSTED_PROXIES: '127.0.0.1/32',
      ENGRAM_OAUTH_OPEN_REGISTRATION: 'true',
    });
    base = api.url;
  });
  after(() => api.close());

  const entries = async (action: string, target: string): Promise<Entry[]> =>
    (
      await api.request('GET', `/api/admin/audit?action=${action}`, { headers: { 'x-api-key': BOOTSTRAP } })
    ).body.events.filter((entry: Entry) => entry.target === target);

  it('records failed operator sign-ins, approvals by the operator, and revocations', async () => {
    const failed = await registerAndConsent(base, 'not the admin key', { 'x-forwarded-for': '203.0.113.40' });
    assert.equal(failed.status, 401);
    const [failure] = await entries('oauth.approve', failed.clientId);
    assert.equal(failure.outcome, 'failure');
    assert.equal(failure.client_address, '203.0.113.40');
    assert.equal(failure.details.client_name, 'test connector');
    assert.ok(!JSON.stringify(failure).includes('not the admin key'), 'the tried credential is in the audit log');

    const approved = await registerAndConsent(base, BOOTSTRAP, { 'x-forwarded-for': '198.51.100.41' });
    assert.equal(approved.status, 303);
    const [approval] = await entries('oauth.approve', approved.clientId);
    assert.equal(approval.outcome, 'success');
    assert.deepEqual(approval.principal, { kind: 'bootstrap', id: 'MCP_API_KEY', name: 'MCP_API_KEY' });
    assert.equal(approval.client_address, '198.51.100.41');
    assert.equal(approval.namespace, 'default');
    assert.deepEqual(approval.details.scopes, ['read']);

    const revoked = await api.request('DELETE', `/api/admin/oauth/clients/${approved.clientId}`, {
      headers: { 'x-api-key': BOOTSTRAP },
    });
    assert.equal(revoked.status, 200);
    const [revocation] = await entries('oauth.revoke', approved.clientId);
    assert.equal(revocation.outcome, 'success');
  });
});
