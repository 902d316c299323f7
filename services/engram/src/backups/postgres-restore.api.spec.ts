import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { keepWriting, runJob } from '../testing/job-helpers';
import { startTestPostgres, TestPostgres } from '../testing/postgres-test-server';
import { startTestApp, TestApp } from '../testing/test-app';
import { waitFor } from '../testing/wait-for';
import { EXPORT_FILE } from './backup-manifest';

/** Live memories' contents in the store, read over its own connection. */
async function liveContents(url: string): Promise<Set<string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ content: string }>('SELECT content FROM memories WHERE deleted_at IS NULL');
    return new Set(rows.map((row) => row.content));
  } finally {
    await client.end();
  }
}

/** Live memories' contents in a backup's export (the trash's lines carry deleted_at). */
async function backedUpContents(path: string): Promise<Set<string>> {
  const lines = (await readFile(path, 'utf8')).trimEnd().split('\n').slice(1, -1);
  const memories = lines.map((line) => JSON.parse(line) as { content: string; deleted_at?: number });
  return new Set(memories.filter((memory) => memory.deleted_at === undefined).map((memory) => memory.content));
}

/**
 * The PostgreSQL twin of the SQLite cases in testing/backups-and-restore.cases.ts, over HTTP with inline jobs. PGlite runs
 * one transaction at a time, so here writers queue behind the restore's transaction rather than wait on
 * its table lock; what this proves is the order (copy of the current state and swap in one transaction).
 */
describe('restore on PostgreSQL under a busy writer', () => {
  let postgres: TestPostgres;
  let api: TestApp;
  before(async () => {
    postgres = await startTestPostgres();
    api = await startTestApp({ MCP_MEMORY_STORAGE_BACKEND: 'postgres', DATABASE_URL: postgres.url });
    for (let i = 0; i < 20; i++) {
      const stored = await api.request('POST', '/api/memories', { body: { content: `stored before the backup ${i}` } });
      assert.equal(stored.status, 201);
    }
  });
  after(async () => {
    await api.close();
    await postgres.close();
  });

  it('keeps every write acknowledged while a restore runs: live afterwards, or in the pre-restore backup', async () => {
    const backup = await runJob(api.request, '/api/admin/backup');
    assert.equal(backup.state, 'completed', backup.error);
    const writer = keepWriting(api.request);
    const { acknowledged } = writer;
    await waitFor(() => acknowledged.length >= 3, 'the writer to get going');
    const restore = await runJob(api.request, '/api/admin/restore', { backup_id: backup.result.backup_id });
    const duringRestore = acknowledged.length;
    await waitFor(() => acknowledged.length > duringRestore, 'a write acknowledged after the restore');
    await writer.stop();
    assert.equal(restore.state, 'completed', restore.error);

    const live = await liveContents(postgres.url);
    const kept = await backedUpContents(
      join(api.config.backups.path, restore.result.pre_restore_backup_id, EXPORT_FILE),
    );
    const lost = acknowledged.filter((content) => !live.has(content) && !kept.has(content));
    assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} acknowledged writes are in neither`);
    assert.ok(duringRestore > 3, 'writes were acknowledged while the restore ran');
    assert.ok(
      kept.has(acknowledged[0]) && !live.has(acknowledged[0]),
      'the restore replaced what was written before it',
    );
  });
});
