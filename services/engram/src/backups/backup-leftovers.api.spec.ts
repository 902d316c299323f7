import assert from 'node:assert/strict';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runJob, storeLocksOf } from '../testing/job-helpers';
import { startTestPostgres, TestPostgres } from '../testing/postgres-test-server';
import { realPostgresAvailable, startRealPostgres } from '../testing/real-postgres';
import { startTestApp, TestApp } from '../testing/test-app';
import { backupIdAt } from './backup-manifest';

const HOUR_MS = 60 * 60 * 1000;

/**
 * A folder as a crash leaves it (SIGKILL, power cut): files half-written under a name nothing lists, the
 * process gone. `bytes` of data in it; `ageMs` back in time, as when the crash was that long ago.
 */
function leaveFolder(path: string, file: string, bytes: number, ageMs: number): void {
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, file), Buffer.alloc(bytes, 7));
  const then = new Date(Date.now() - ageMs);
  utimesSync(join(path, file), then, then);
  utimesSync(path, then, then);
}

/** A staging folder's name for a backup taken `minutesAgo` (ids are their time), as the backup names it. */
const staging = (minutesAgo: number, reason?: string) =>
  `.staging-${backupIdAt(new Date(Date.now() - minutesAgo * 60_000))}${reason ? `-${reason}` : ''}`;

for (const backend of ['sqlite', 'postgres'] as const)
  describe(`backups cut short by a crash (${backend})`, () => {
    let postgres: TestPostgres | undefined;
    let api: TestApp;
    before(async () => {
      if (backend === 'postgres')
        postgres = realPostgresAvailable() ? await startRealPostgres() : await startTestPostgres();
      const env: Record<string, string> = postgres
        ? { MCP_MEMORY_STORAGE_BACKEND: 'postgres', DATABASE_URL: postgres.url }
        : {};
      api = await startTestApp(env);
      assert.equal(
        (await api.request('POST', '/api/memories', { body: { content: 'kept by every backup' } })).status,
        201,
      );
    });
    after(async () => {
      await api.close();
      await postgres?.close();
    });

    const backupsPath = () => api.config.backups.path;
    const listed = async () => {
      const answer = await api.request('GET', '/api/admin/backups');
      assert.equal(answer.status, 200, answer.text);
      return answer.body;
    };

    it('lists what a crash left as incomplete, counts it in the totals, and keeps the pre-restore ones from a backup', async () => {
      const taken = await runJob(api.request, '/api/admin/backup');
      assert.equal(taken.state, 'completed', taken.error);
      const manual = staging(120, 'manual');
      const scheduled = staging(90, 'scheduled');
      const fresh = staging(1, 'manual');
      const preRestore = staging(100, 'pre-restore');
      const olderBuild = staging(110);
      leaveFolder(join(backupsPath(), manual), 'engram.db', 4096, 2 * HOUR_MS);
      leaveFolder(join(backupsPath(), scheduled), 'engram.db', 2048, 2 * HOUR_MS);
      leaveFolder(join(backupsPath(), fresh), 'engram.db', 1024, 0);
      leaveFolder(join(backupsPath(), preRestore), 'engram.db', 8192, 2 * HOUR_MS);
      leaveFolder(join(backupsPath(), olderBuild), 'engram.db', 512, 2 * HOUR_MS);

      const before = await listed();
      const byName = new Map<string, any>(before.incomplete.map((entry: any) => [entry.name, entry]));
      assert.deepEqual([...byName.keys()].sort(), [fresh, manual, olderBuild, preRestore, scheduled].sort());
      assert.deepEqual(
        [manual, preRestore, olderBuild].map((name) => {
          const { kind, reason, size_bytes, may_hold_only_copy, state, backup_id } = byName.get(name);
          return { kind, reason, size_bytes, may_hold_only_copy, state, backup_id };
        }),
        [
          {
            kind: 'staging',
            reason: 'manual',
            size_bytes: 4096,
            may_hold_only_copy: false,
            state: 'incomplete',
            backup_id: manual.slice(9, 35),
          },
          {
            kind: 'staging',
            reason: 'pre-restore',
            size_bytes: 8192,
            may_hold_only_copy: true,
            state: 'incomplete',
            backup_id: preRestore.slice(9, 35),
          },
          {
            kind: 'staging',
            reason: null,
            size_bytes: 512,
            may_hold_only_copy: true,
            state: 'incomplete',
            backup_id: olderBuild.slice(9),
          },
        ],
      );
      assert.equal(byName.get(manual).path, join(backupsPath(), manual));
      assert.ok(Date.now() - Date.parse(byName.get(manual).modified_at) >= 2 * HOUR_MS - 1000);
      const backupBytes = before.backups.reduce((sum: number, backup: any) => sum + backup.size_bytes, 0);
      assert.equal(before.incomplete_count, 5);
      assert.equal(before.total_count, before.backups.length);
      assert.equal(before.total_size_bytes, backupBytes + 4096 + 2048 + 1024 + 8192 + 512);
      const status = await api.request('GET', '/api/backup/status');
      assert.equal(status.body.incomplete_count, 5);
      assert.equal(status.body.total_size_bytes, before.total_size_bytes);

      // The next backup removes only the manual and scheduled ones untouched for a while that no process writes.
      const next = await runJob(api.request, '/api/admin/backup');
      assert.equal(next.state, 'completed', next.error);
      const after = await listed();
      assert.deepEqual(after.incomplete.map((entry: any) => entry.name).sort(), [fresh, olderBuild, preRestore].sort());
      assert.equal(existsSync(join(backupsPath(), manual)), false);
      assert.equal(existsSync(join(backupsPath(), scheduled)), false);
    });

    // A lock held by another process needs sessions of its own: PGlite multiplexes every connection onto one.
    if (backend === 'sqlite' || realPostgresAvailable())
      it('leaves alone a staging folder a backup is writing, however old its files look: unlisted, 409 on delete, kept by a backup', async () => {
        const written = staging(200, 'manual');
        leaveFolder(join(backupsPath(), written), 'engram.db', 100, 2 * HOUR_MS);
        let finish!: () => void;
        let holding!: () => void;
        const held = new Promise<void>((resolve) => (holding = resolve));
        const writer = storeLocksOf(api.config).writeStaging(written.slice(9, 35), () => {
          holding();
          return new Promise<void>((resolve) => (finish = resolve));
        });
        await held;
        try {
          assert.equal(
            (await listed()).incomplete.some((entry: any) => entry.name === written),
            false,
            'being written',
          );
          const busy = await api.request('DELETE', `/api/admin/backups/${written}`);
          assert.equal(busy.status, 409, busy.text);
          assert.equal(busy.body.error, 'backup_in_use');
          assert.equal((await runJob(api.request, '/api/admin/backup')).state, 'completed');
          assert.ok(existsSync(join(backupsPath(), written)));
        } finally {
          finish();
          await writer;
        }
        // Its writer gone, the next backup removes it.
        assert.equal((await runJob(api.request, '/api/admin/backup')).state, 'completed');
        assert.equal(existsSync(join(backupsPath(), written)), false);
      });

    it('deletes an incomplete backup or a backup by the name listed; 404 for any other name, 400 for no name', async () => {
      const preRestore = (await listed()).incomplete.find((entry: any) => entry.reason === 'pre-restore');
      const deleted = await api.request('DELETE', `/api/admin/backups/${preRestore.name}`);
      assert.equal(deleted.status, 200, deleted.text);
      assert.deepEqual(deleted.body, { success: true, deleted: preRestore.name, size_bytes: 8192 });
      assert.equal(existsSync(preRestore.path), false);
      assert.equal(
        (await listed()).incomplete.some((entry: any) => entry.name === preRestore.name),
        false,
      );

      const [oldest] = (await listed()).backups.slice(-1);
      const gone = await api.request('DELETE', `/api/admin/backups/${oldest.backup_id}`);
      assert.equal(gone.status, 200, gone.text);
      assert.equal(
        (await listed()).backups.some((backup: any) => backup.backup_id === oldest.backup_id),
        false,
      );

      const audited = await api.request('GET', '/api/admin/audit?action=backup.delete&limit=50');
      assert.equal(audited.status, 200, audited.text);
      assert.deepEqual(
        audited.body.events.map((entry: any) => [entry.target, entry.outcome, entry.namespace, entry.details]),
        [
          [oldest.backup_id, 'success', null, { kind: 'backup', size_bytes: oldest.size_bytes }],
          [preRestore.name, 'success', null, { kind: 'staging', size_bytes: 8192 }],
        ],
        'each deletion audited once, newest first',
      );

      const unknown = await api.request('DELETE', `/api/admin/backups/${preRestore.name}`);
      assert.equal(unknown.status, 404, unknown.text);
      assert.equal(unknown.body.error, 'not_found');
      const notAName = await api.request('DELETE', '/api/admin/backups/not%20a%20name');
      assert.equal(notAName.status, 400, notAName.text);
      const outside = await api.request(
        'DELETE',
        `/api/admin/backups/${encodeURIComponent(basename(dirname(backupsPath())))}`,
      );
      assert.equal(outside.status, 404, 'a folder beside the backups is no backup');
      const after = await api.request('GET', '/api/admin/audit?action=backup.delete&limit=50');
      assert.equal(after.body.events.length, 2, 'refusals are not audited');
    });

    if (backend === 'sqlite')
      it('lists what a restore cut short left beside the database and the memory directory, and never removes it itself', async () => {
        const memoryDir = api.config.memoryDir;
        const stopped = Date.now() - 2 * HOUR_MS;
        const replaced = `${basename(memoryDir)}.replaced-${stopped}`;
        const restoring = `${basename(memoryDir)}.restoring-${stopped}`;
        leaveFolder(join(dirname(memoryDir), replaced), 'user.md', 300, 2 * HOUR_MS);
        leaveFolder(join(dirname(memoryDir), restoring), 'user.md', 200, 2 * HOUR_MS);
        // The copy of the backup's database the swap reads, with its write-ahead log, beside the live one.
        const scratch = `.restore-${stopped}-engram.db`;
        const databaseDir = dirname(api.config.storage.sqlitePath);
        writeFileSync(join(databaseDir, scratch), Buffer.alloc(1000, 7));
        writeFileSync(join(databaseDir, `${scratch}-wal`), Buffer.alloc(500, 7));

        assert.equal((await runJob(api.request, '/api/admin/backup')).state, 'completed');
        const entries = new Map<string, any>((await listed()).incomplete.map((entry: any) => [entry.name, entry]));
        assert.deepEqual(
          [replaced, restoring, scratch].map((name) => [
            entries.get(name)?.kind,
            entries.get(name)?.may_hold_only_copy,
            entries.get(name)?.size_bytes,
          ]),
          [
            ['replaced-memory-dir', true, 300],
            ['restoring-memory-dir', false, 200],
            ['restore-scratch', false, 1500],
          ],
        );
        assert.equal(entries.has(`${scratch}-wal`), false, 'a side file goes with its database');
        for (const name of [replaced, scratch]) {
          const deleted = await api.request('DELETE', `/api/admin/backups/${name}`);
          assert.equal(deleted.status, 200, deleted.text);
        }
        assert.equal(existsSync(join(dirname(memoryDir), replaced)), false);
        assert.equal(existsSync(join(databaseDir, scratch)) || existsSync(join(databaseDir, `${scratch}-wal`)), false);
      });
  });
