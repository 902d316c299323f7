import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { JobMode, JobsHarness, keepWriting, runJob, startJobsHarness } from './job-helpers';
import { backupDate, backupIdAt } from '../backups/backup-manifest';
import { TestApp } from './test-app';

/** Every row of the tables a restore must bring back, as the file holds them (content, tags, vectors, settings). */
function dumpDatabase(path: string) {
  const db = new Database(path, { readonly: true });
  try {
    return {
      memories: db.prepare('SELECT * FROM memories ORDER BY id').all(),
      tags: db.prepare('SELECT * FROM memory_tags ORDER BY memory_id, tag').all(),
      embeddings: db.prepare('SELECT memory_id, hex(embedding) AS e FROM memory_embeddings ORDER BY memory_id').all(),
      // vector_epoch marks every wholesale rewrite of the vectors (a restore is one), so it differs by design.
      settings: db.prepare("SELECT * FROM settings WHERE key != 'vector_epoch' ORDER BY key").all(),
    };
  } finally {
    db.close();
  }
}

export const backupTestMemory = (i: number) => ({
  content: `backup test memory number ${i} about gardening`,
  tags: [`t${i % 3}`],
  metadata: { i },
});

/**
 * Backups and restores through the api with jobs run in process or on BullMQ: each mode has its own spec file
 * (backups.api and backups-bullmq.api; retention in backup-retention.api), so none runs near the test runner's per-file timeout on a loaded machine.
 */
export function describeBackupsAndRestore(mode: JobMode): void {
  describe(`backups and restore (${mode} jobs)`, () => {
    let harness: JobsHarness;
    let api: TestApp;
    let dbPath: string;
    before(async () => {
      harness = await startJobsHarness(mode);
      api = harness.api;
      dbPath = api.config.storage.sqlitePath;
      for (let i = 0; i < 20; i++)
        assert.equal((await api.request('POST', '/api/memories', { body: backupTestMemory(i) })).status, 201);
      mkdirSync(api.config.memoryDir, { recursive: true });
      writeFileSync(join(api.config.memoryDir, 'user.md'), '# User\n- likes tomatoes\n');
    });
    after(async () => {
      await harness.close();
    });

    it('takes a verified backup as a job, lists it and records checksums in its manifest', async () => {
      const job = await runJob(api.request, '/api/admin/backup');
      assert.equal(job.state, 'completed', job.error);
      assert.equal(job.progress, 100);
      const id = job.result.backup_id as string;
      assert.match(id, /^backup-\d{8}T\d{9}Z$/);
      const listed = await api.request('GET', '/api/admin/backups');
      assert.equal(listed.status, 200);
      assert.equal(listed.body.backups[0].backup_id, id);
      assert.equal(listed.body.backups[0].memories, 20);
      assert.equal(listed.body.backups[0].includes_memory_dir, true);
      assert.equal(listed.body.backups[0].verified, true);
      assert.deepEqual((await api.request('GET', '/api/backup/list')).body, listed.body);
      const manifest = JSON.parse(readFileSync(join(api.config.backups.path, id, 'manifest.json'), 'utf8'));
      assert.match(manifest.database.sha256, /^[0-9a-f]{64}$/);
      assert.equal(manifest.integrity_check, 'ok');
      assert.equal(manifest.counts.live_memories, 20);
      assert.deepEqual(
        readdirSync(api.config.backups.path).filter((name) => name.startsWith('.')),
        [],
      );
      const status = await api.request('GET', '/api/backup/status');
      assert.equal(status.body.backup_count, 1);
      assert.equal(status.body.last_backup_time, manifest.created_at);
      assert.equal(status.body.enabled, false);
    });

    it('backs up synchronously on POST /api/backup/now with the legacy answer', async () => {
      const now = await api.request('POST', '/api/backup/now');
      assert.equal(now.status, 200);
      assert.equal(now.body.success, true);
      assert.match(now.body.filename, /^backup-/);
      assert.ok(now.body.size_bytes > 0);
      assert.equal(typeof now.body.duration_seconds, 'number');
    });

    it('restores a backup: after adding and deleting memories, the data equals the backup byte for byte', async () => {
      const backup = await runJob(api.request, '/api/admin/backup');
      const atBackup = dumpDatabase(dbPath);
      const listBefore = (await api.request('GET', '/api/memories?page_size=100')).body.memories;
      await api.request('POST', '/api/memories', { body: { content: 'zucchini arrived later', tags: ['late'] } });
      await api.request('DELETE', `/api/memories/${listBefore[0].content_hash}`);
      await api.request('DELETE', `/api/memories/${listBefore[1].content_hash}?hard=true`);
      writeFileSync(join(api.config.memoryDir, 'user.md'), '# User\n- changed\n');
      writeFileSync(join(api.config.memoryDir, 'extra.md'), 'added later\n');
      assert.notDeepEqual(dumpDatabase(dbPath), atBackup);

      const restore = await runJob(api.request, '/api/admin/restore', { backup_id: backup.result.backup_id });
      assert.equal(restore.state, 'completed', restore.error);
      assert.deepEqual(dumpDatabase(dbPath), atBackup);
      assert.deepEqual((await api.request('GET', '/api/memories?page_size=100')).body.memories, listBefore);
      assert.equal(readFileSync(join(api.config.memoryDir, 'user.md'), 'utf8'), '# User\n- likes tomatoes\n');
      assert.equal(existsSync(join(api.config.memoryDir, 'extra.md')), false);
      // Search finds restored memories through both indexes, and none of the discarded ones.
      const keyword = await api.request('POST', '/api/search', { body: { query: 'zucchini', mode: 'keyword' } });
      assert.equal(keyword.body.results.length, 0);
      const semantic = await api.request('POST', '/api/search', {
        body: { query: listBefore[1].content, mode: 'semantic', limit: 1 },
      });
      assert.equal(semantic.body.results[0].memory.content_hash, listBefore[1].content_hash);
      // The state it replaced was kept as a backup.
      const preRestore = (await api.request('GET', '/api/admin/backups')).body.backups.find(
        (entry: { backup_id: string }) => entry.backup_id === restore.result.pre_restore_backup_id,
      );
      assert.equal(preRestore.reason, 'pre-restore');
    });

    it('keeps every write acknowledged while a restore runs: live afterwards, or in the pre-restore backup', async () => {
      const backup = await runJob(api.request, '/api/admin/backup');
      const writer = keepWriting(api.request);
      const { acknowledged } = writer;
      while (acknowledged.length < 3) await new Promise((wake) => setTimeout(wake, 10));
      const restore = await runJob(api.request, '/api/admin/restore', { backup_id: backup.result.backup_id });
      const duringRestore = acknowledged.length;
      await writer.stop();
      assert.equal(restore.state, 'completed', restore.error);
      const contents = (path: string) => {
        const db = new Database(path, { readonly: true });
        try {
          return new Set(db.prepare('SELECT content FROM memories WHERE deleted_at IS NULL').pluck().all() as string[]);
        } finally {
          db.close();
        }
      };
      const live = contents(dbPath);
      const kept = contents(join(api.config.backups.path, restore.result.pre_restore_backup_id, 'engram.db'));
      const lost = acknowledged.filter((content) => !live.has(content) && !kept.has(content));
      assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} acknowledged writes are in neither`);
      assert.ok(duringRestore > 3, 'writes were acknowledged while the restore ran');
    });

    it('refuses malformed backup ids with 400 and unknown ones with 404', async () => {
      for (const backup_id of ['../../etc/passwd', 'backup-../../x', '', 'backup-2026']) {
        const response = await api.request('POST', '/api/admin/restore', { body: { backup_id } });
        assert.equal(response.status, 400, backup_id);
        assert.equal(response.body.error, 'validation_error');
      }
      const unknown = await api.request('POST', '/api/admin/restore', {
        body: { backup_id: 'backup-20000101T000000000Z' },
      });
      assert.equal(unknown.status, 404);
      assert.equal((await api.request('POST', '/api/admin/restore', { body: {} })).status, 400);
    });

    for (const damage of ['corrupted', 'truncated'] as const) {
      it(`refuses a ${damage} backup: verification fails and nothing is swapped`, async () => {
        const backup = await runJob(api.request, '/api/admin/backup');
        const file = join(api.config.backups.path, backup.result.backup_id, 'engram.db');
        if (damage === 'truncated') truncateSync(file, Math.floor(readFileSync(file).length / 2));
        else {
          const bytes = readFileSync(file);
          for (let offset = 4096; offset < bytes.length; offset += 997) bytes[offset] ^= 0xff;
          writeFileSync(file, bytes);
        }
        await api.request('POST', '/api/memories', { body: { content: `written after the ${damage} backup` } });
        const before = dumpDatabase(dbPath);
        const restore = await runJob(api.request, '/api/admin/restore', { backup_id: backup.result.backup_id });
        assert.equal(restore.state, 'failed');
        assert.match(restore.error, /checksum|integrity/);
        assert.deepEqual(dumpDatabase(dbPath), before);
      });
    }

    it('lists a backup whose manifest is damaged or missing as corrupt, with its problem, and refuses to restore it (422)', async () => {
      const backup = await runJob(api.request, '/api/admin/backup');
      const source = join(api.config.backups.path, backup.result.backup_id);
      const manifest = readFileSync(join(source, 'manifest.json'), 'utf8');
      const { sha256: _sha256, ...unsealed } = JSON.parse(manifest).database;
      const damages = {
        truncated: manifest.slice(0, manifest.length / 2),
        unsealed: JSON.stringify({ ...JSON.parse(manifest), database: unsealed }),
        missing: undefined,
      };
      // Newer than the sound backup, as a damaged latest backup would be.
      const taken = Date.parse(backup.result.created_at);
      const damaged = Object.entries(damages).map(([damage, text], i) => {
        const id = backupIdAt(new Date(taken + i + 1));
        cpSync(source, join(api.config.backups.path, id), { recursive: true });
        if (text === undefined) rmSync(join(api.config.backups.path, id, 'manifest.json'));
        else writeFileSync(join(api.config.backups.path, id, 'manifest.json'), text);
        return { damage, id };
      });
      try {
        const listed = (await api.request('GET', '/api/admin/backups')).body.backups;
        const entry = (id: string) => listed.find((b: { backup_id: string }) => b.backup_id === id);
        const problems: Record<string, RegExp> = {
          truncated: /^manifest\.json is not valid JSON, truncated or altered/,
          unsealed: /^manifest\.json does not describe a backup \(database\.sha256: /,
          missing: /^manifest\.json is missing$/,
        };
        for (const { damage, id } of damaged) {
          const corrupt = entry(id);
          assert.equal(corrupt?.state, 'corrupt', damage);
          assert.match(corrupt.problem, problems[damage]);
          assert.equal(corrupt.verified, false);
          assert.equal(corrupt.memories, null);
          assert.equal(corrupt.created_at, backupDate(id).toISOString());
          assert.ok(corrupt.size_bytes >= backup.result.size_bytes, `${damage}: the bytes it takes on disk`);

          const refused = await api.request('POST', '/api/admin/restore', { body: { backup_id: id } });
          assert.equal(refused.status, 422, damage);
          assert.equal(refused.body.error, 'backup_corrupted');
          assert.match(refused.body.message, new RegExp(`^Backup ${id} is corrupt and will not be restored: manifest`));
        }
        assert.equal(entry(backup.result.backup_id).state, 'ok');
        assert.equal(entry(backup.result.backup_id).problem, null);
        const status = (await api.request('GET', '/api/backup/status')).body;
        assert.equal(status.corrupt_count, 3);
        assert.equal(status.last_backup_time, backup.result.created_at, 'the newest sound backup');
      } finally {
        for (const { id } of damaged) rmSync(join(api.config.backups.path, id), { recursive: true, force: true });
      }
    });

    it('records the sqlite format in new manifests, and refuses a PostgreSQL export backup with a 409 naming its format', async () => {
      const backup = await runJob(api.request, '/api/admin/backup');
      const source = join(api.config.backups.path, backup.result.backup_id, 'manifest.json');
      const manifest = JSON.parse(readFileSync(source, 'utf8'));
      assert.equal(manifest.format, 'sqlite');
      const id = 'backup-20000101T000000000Z';
      mkdirSync(join(api.config.backups.path, id));
      const foreign = {
        ...manifest,
        id,
        format: 'engram-export',
        database: { ...manifest.database, file: 'memories.ndjson' },
      };
      writeFileSync(join(api.config.backups.path, id, 'manifest.json'), JSON.stringify(foreign));
      try {
        const refused = await api.request('POST', '/api/admin/restore', { body: { backup_id: id } });
        assert.equal(refused.status, 409);
        assert.equal(refused.body.error, 'backup_incompatible');
        assert.match(refused.body.message, /"engram-export" \(a portable export of a PostgreSQL store\)/);
      } finally {
        rmSync(join(api.config.backups.path, id), { recursive: true });
      }
    });

    it("refuses a backup of another embedding model, and reads the bundled model's former int8 id as its own", async () => {
      const backup = await runJob(api.request, '/api/admin/backup');
      const source = join(api.config.backups.path, backup.result.backup_id);
      const manifest = JSON.parse(readFileSync(join(source, 'manifest.json'), 'utf8'));
      assert.match(manifest.embedding.model, /^use-lite-512@/);
      const copyWithModel = (id: string, model: string) => {
        cpSync(source, join(api.config.backups.path, id), { recursive: true });
        const copy = { ...manifest, id, embedding: { ...manifest.embedding, model } };
        writeFileSync(join(api.config.backups.path, id, 'manifest.json'), JSON.stringify(copy));
      };
      copyWithModel('backup-20000101T000000001Z', 'another-model@1');
      const before = dumpDatabase(dbPath);
      const refused = await runJob(api.request, '/api/admin/restore', { backup_id: 'backup-20000101T000000001Z' });
      assert.equal(refused.state, 'failed');
      assert.match(
        refused.error,
        /holds vectors of embedding model "another-model@1" but this database uses "use-lite-512@/,
      );
      assert.deepEqual(dumpDatabase(dbPath), before);
      // A backup taken while int8 had an id of its own (2026-12-04) restores as the bundled model's.
      const legacy = manifest.embedding.model.replace(/^use-lite-512@/, 'use-lite-512-int8@');
      copyWithModel('backup-20000101T000000002Z', legacy);
      const restored = await runJob(api.request, '/api/admin/restore', { backup_id: 'backup-20000101T000000002Z' });
      assert.equal(restored.state, 'completed', restored.error);
      assert.equal(restored.result.memories, manifest.counts.memories);
    });

    it('reports an unknown job with 404 and a malformed job id with 400', async () => {
      assert.equal((await api.request('GET', '/api/jobs/nope-999')).status, 404);
      assert.equal((await api.request('GET', '/api/jobs/a%20b')).status, 400);
      const list = await api.request('GET', '/api/jobs?limit=5');
      assert.equal(list.status, 200);
      assert.equal(list.body.mode, mode);
      assert.ok(list.body.jobs.length > 0);
    });
  });
}
