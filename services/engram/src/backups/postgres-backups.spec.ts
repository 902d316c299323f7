import { AuditService } from '../audit/audit.service';
import { PostgresAuditRepository } from '../storage/postgres/postgres-audit.repository';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { watch } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../config/config.loader';
import { EventBus } from '../events/event-bus';
import { LocalEventRelay } from '../events/local-event.relay';
import { contentHash } from '../memories/content-hash';
import { EngramMetrics } from '../metrics/engram-metrics';
import { SqliteLockRepository } from '../storage/locks/sqlite-lock.repository';
import { StoreLocks } from '../storage/locks/store-locks';
import { NewMemory } from '../storage/memory.record';
import { openPostgresDatabase } from '../storage/postgres/postgres.connection';
import { PostgresDatabase } from '../storage/postgres/postgres.database';
import { PostgresMemoryStore } from '../storage/postgres/postgres-memory.store';
import { PostgresSearchStore } from '../storage/postgres/postgres-search.store';
import { PostgresSettingsStore } from '../storage/postgres/postgres-settings.store';
import { startTestPostgres, TestPostgres } from '../testing/postgres-test-server';
import { makeTempDir } from '../testing/test-app';
import { waitFor } from '../testing/wait-for';
import { ImportInput } from '../imports/input/import-input';
import { EngramExportImporter } from '../imports/sources/engram-export.importer';
import { BackupManifest, EXPORT_FILE, MANIFEST_FILE } from './backup-manifest';
import { BackupCorrupted, BackupIncompatible } from './backup.errors';
import { BackupRepository } from './backup.repository';
import { BackupService } from './backup.service';
import { POSTGRES_MIGRATIONS } from '../storage/postgres/postgres.migrations';
import { DatabaseAgentFilesArchive } from './agent-files.archive';
import { PostgresAgentFileStore } from '../storage/postgres/postgres-agent-file.store';
import { PostgresBackupTarget } from './postgres-backup.target';

const MODEL = { modelId: 'pg-backup-model', dimension: 8 };

/** The names `work` creates in the OS temporary folder (TMPDIR points at a watched folder meanwhile). */
async function createdInTmpdir(work: () => Promise<unknown>): Promise<string[]> {
  const folder = makeTempDir('engram-os-tmp-');
  const created = new Set<string>();
  const watcher = watch(folder, (_event, name) => name && created.add(name));
  const tmpdir = process.env.TMPDIR;
  process.env.TMPDIR = folder;
  try {
    await work();
  } finally {
    if (tmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmpdir;
  }
  // Changes are reported in order: once a file made now is seen, whatever the work made has been.
  await writeFile(join(folder, 'marker'), '');
  await waitFor(() => created.has('marker'), 'the marker to be seen');
  watcher.close();
  created.delete('marker');
  return [...created];
}

function vectorOf(text: string): Float32Array {
  const seed = [...text].reduce((sum, char, i) => sum + char.charCodeAt(0) * (i + 1), 0);
  return new Float32Array(MODEL.dimension).map((_, d) => Math.sin(seed * 0.011 + d * 0.9));
}

function memory(content: string, namespace = 'default', tags: string[] = []): NewMemory {
  return {
    namespace,
    contentHash: contentHash(content),
    content,
    memoryType: 'note',
    metadata: { source: 'spec', length: content.length },
    tags,
    createdAt: 1_000 + content.length,
    updatedAt: 2_000 + content.length,
    embedding: vectorOf(content),
  };
}

/** Everything a restore must bring back, per memory (ids excepted: a restore renumbers them). */
async function stateOf(db: PostgresDatabase) {
  return db.query(
    `SELECT m.namespace, m.content_hash, m.content, m.memory_type, m.metadata::text AS metadata, m.created_at,
       m.updated_at, m.valid_to,
       (SELECT l.content_hash FROM memories l WHERE l.id = m.superseded_by) AS superseded_by,
       (SELECT l.content_hash FROM memories l WHERE l.id = m.supersedes) AS supersedes,
       ARRAY(SELECT t.tag FROM memory_tags t WHERE t.memory_id = m.id ORDER BY t.tag) AS tags,
       e.embedding::text AS embedding
     FROM memories m LEFT JOIN memory_embeddings e ON e.memory_id = m.id
     WHERE m.deleted_at IS NULL ORDER BY m.namespace, m.content_hash`,
  );
}

/** Rewrites a backup's data file and re-seals its manifest, as a backup that verifies but cannot be restored. */
async function resealed(dir: string, id: string, edit: (lines: string[]) => string[]): Promise<void> {
  const path = join(dir, id, EXPORT_FILE);
  const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
  const memories = edit(lines.slice(1, -1));
  const sha256 = createHash('sha256')
    .update(memories.map((line) => `${line}\n`).join(''))
    .digest('hex');
  const end = JSON.stringify({ format: 'engram-export-end', memories: memories.length, sha256 });
  const text = [lines[0], ...memories, end].map((line) => `${line}\n`).join('');
  await writeFile(path, text);
  const manifestPath = join(dir, id, MANIFEST_FILE);
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as BackupManifest;
  manifest.database.bytes = Buffer.byteLength(text);
  manifest.database.sha256 = createHash('sha256').update(text).digest('hex');
  const parsed = memories.map((line) => JSON.parse(line) as { tags: string[]; deleted_at?: number });
  const live = parsed.filter((line) => line.deleted_at === undefined).length;
  const tags = parsed.reduce((sum, line) => sum + line.tags.length, 0);
  manifest.counts = { memories: memories.length, live_memories: live, tags, embeddings: live };
  await writeFile(manifestPath, JSON.stringify(manifest));
}

describe('backups and restore on PostgreSQL', () => {
  const dir = makeTempDir();
  const backupsDir = join(dir, 'backups');
  let server: TestPostgres;
  let db: PostgresDatabase;
  let memories: PostgresMemoryStore;
  let agentFiles: PostgresAgentFileStore;
  let backups: BackupService;
  let backup: BackupManifest;
  let backedUp: unknown[];

  before(async () => {
    server = await startTestPostgres();
    db = await openPostgresDatabase({ url: server.url, poolSize: 4, statementTimeoutMs: 30_000 }, MODEL);
    memories = new PostgresMemoryStore(db);
    const config = loadConfig({
      env: { MCP_MEMORY_SQLITE_PATH: join(dir, 'engram.db'), MCP_MEMORY_BACKUPS_PATH: backupsDir, LOG_LEVEL: 'error' },
      cwd: dir,
    });
    agentFiles = new PostgresAgentFileStore(db);
    const files = new BackupRepository(config.backups.path);
    backups = new BackupService(
      files,
      new PostgresBackupTarget(db),
      new DatabaseAgentFilesArchive(agentFiles, files),
      new PostgresSettingsStore(db),
      new EventBus(new LocalEventRelay()),
      new EngramMetrics(),
      config,
      new StoreLocks(new SqliteLockRepository(join(dir, 'locks'))),
      new AuditService(new PostgresAuditRepository(db), config),
    );
    await memories.insertMany([
      ...Array.from({ length: 12 }, (_, i) => memory(`note ${i} about gardening`, 'default', i % 3 ? ['garden'] : [])),
      ...Array.from({ length: 5 }, (_, i) => memory(`team fact ${i}`, 'team', ['work', `t${i}`])),
    ]);
    const [old] = await memories.insertMany([memory('the meeting is on monday', 'team')]);
    await memories.insertSuperseding(old.memory.id, memory('the meeting moved to tuesday', 'team'), 5_000);
    await agentFiles.write('default', 'user.md', '# User\n- likes tomatoes\n', 'hand_edit');
    await agentFiles.write('team', 'entities/acme.md', '# Acme\n- client since 2024\n', 'hand_edit');
    await agentFiles.writeRootFile('team', '.filters', 'no salaries');
    const [trashed] = await memories.insertMany([memory('a note deleted before the backup')]);
    await memories.softDelete(trashed.memory.id, 6_000);
  });
  after(async () => {
    await db.close();
    await server.close();
  });

  it('writes the portable export with vectors and the model as the backup, under a manifest of format engram-export', async () => {
    backedUp = await stateOf(db);
    backup = await backups.createBackup('manual');
    assert.equal(backup.format, 'engram-export');
    assert.equal(backup.database.file, EXPORT_FILE);
    assert.deepEqual(backup.embedding, { model: MODEL.modelId, dimension: MODEL.dimension });
    assert.deepEqual(backup.counts, { memories: 20, live_memories: 19, tags: 8 + 10, embeddings: 19 });
    assert.equal(backup.schema_version, Math.max(...POSTGRES_MIGRATIONS.map((migration) => migration.version)));
    const [header] = (await readFile(join(backupsDir, backup.id, EXPORT_FILE), 'utf8')).split('\n');
    assert.deepEqual(JSON.parse(header).embedding_model, { id: MODEL.modelId, dimension: MODEL.dimension });
    assert.equal((await backups.verifyBackup(backup.id)).id, backup.id);
  });

  it('restores every namespace to the backup: content, tags, metadata, supersession links, the trash and vectors', async () => {
    await memories.insertMany([memory('a note written after the backup', 'team')]);
    const [first] = await memories.exportPage('default', 0, 1);
    await memories.update(first.id, 'default', { tags: ['changed'], metadata: { edited: true }, updatedAt: 9_000 });
    await memories.hardDelete((await memories.findLiveByHash('team', contentHash('team fact 0')))!.id);
    assert.equal(await memories.purgeDeleted('default', contentHash('a note deleted before the backup')), 1);
    assert.notDeepEqual(await stateOf(db), backedUp);

    await agentFiles.write('default', 'user.md', '# User\n- likes nothing any more\n', 'hand_edit');
    await agentFiles.delete('team', 'entities/acme.md', 'hand_edit');
    await agentFiles.write('bob', 'user.md', '# Bob\n', 'hand_edit');

    const outcome = await backups.restoreBackup(backup.id);
    assert.equal(outcome.memory_dir_restored, true);
    assert.deepEqual(await agentFiles.namespaces(), ['default', 'team'], "the agent's files came back, all namespaces");
    assert.equal(await agentFiles.read('default', 'user.md'), '# User\n- likes tomatoes\n');
    assert.equal(await agentFiles.read('team', 'entities/acme.md'), '# Acme\n- client since 2024\n');
    assert.equal(await agentFiles.readRootFile('team', '.filters'), 'no salaries');
    const journaled = async (namespace: string, path: string) =>
      (await agentFiles.history(namespace, path, { limit: 10 })).versions.map(({ actor, kind }) => [actor, kind]);
    assert.deepEqual(
      (await journaled('team', 'entities/acme.md'))[0],
      ['restore', 'created'],
      'the restore is journaled',
    );
    assert.deepEqual((await journaled('bob', 'user.md'))[0], ['restore', 'deleted']);
    assert.deepEqual((await journaled('default', 'user.md'))[0], ['restore', 'updated']);
    assert.equal(outcome.memories, 20);
    assert.equal(outcome.live_memories, 19);
    assert.deepEqual(await stateOf(db), backedUp);
    const preRestore = await backups.findBackup(outcome.pre_restore_backup_id);
    assert.equal(preRestore.format, 'engram-export');
    assert.equal(preRestore.counts.live_memories, 19); // one added, one purged

    const search = new PostgresSearchStore(db, { iterativeScans: true });
    const probe = 'team fact 3';
    const [hit] = await search.vectorCandidates(vectorOf(probe), { namespace: 'team' }, 1);
    assert.equal((await memories.findLiveByIds('team', [hit.id]))[0].content, probe);
    const [trashed] = await memories.listDeleted('default', 0, 10);
    assert.equal(trashed.content, 'a note deleted before the backup');
    assert.equal(trashed.deletedAt, 6_000);
    const tuesday = await memories.findLiveByHash('team', contentHash('the meeting moved to tuesday'));
    assert.deepEqual(
      (await memories.history('team', tuesday!.id)).map((version) => version.content),
      ['the meeting is on monday', 'the meeting moved to tuesday'],
    );
  });

  it('leaves a data file the engram importer reads: current memories only, the trash and older versions skipped', async () => {
    const path = join(backupsDir, backup.id, EXPORT_FILE);
    const input = await ImportInput.open(path, EXPORT_FILE, { maxUnpackedBytes: 1e9, maxEntries: 10 });
    const read: string[] = [];
    for await (const entry of new EngramExportImporter().read(input)) {
      assert.ok('body' in entry && entry.body.kind === 'record', JSON.stringify(entry));
      read.push(entry.body.text);
    }
    assert.equal(read.length, 18);
    assert.ok(!read.includes('a note deleted before the backup'));
    assert.ok(!read.includes('the meeting is on monday'));
  });

  it('refuses a backup whose data file no longer matches its checksum, changing nothing', async () => {
    await memories.insertMany([memory('written after the restore')]);
    const before = await stateOf(db);
    const path = join(backupsDir, backup.id, EXPORT_FILE);
    await writeFile(path, (await readFile(path, 'utf8')).replace('gardening', 'gardenink'));
    await assert.rejects(() => backups.restoreBackup(backup.id), BackupCorrupted);
    assert.deepEqual(await stateOf(db), before);
  });

  it('rolls a restore that fails part-way back whole: the data stays as it was', async () => {
    const sound = await backups.createBackup('manual');
    await memories.insertMany([memory('written after the second backup', 'team')]);
    const before = await stateOf(db);
    // Verifies (checksums and counts re-sealed), but its last memory repeats one: the insert fails late.
    await resealed(backupsDir, sound.id, (lines) => [...lines, lines[0]]);
    await backups.verifyBackup(sound.id);

    await assert.rejects(
      () => backups.restoreBackup(sound.id),
      (error) => error instanceof BackupCorrupted && /twice in a namespace/.test(error.message),
    );
    assert.deepEqual(await stateOf(db), before);
  });

  it('puts nothing in the OS temporary folder as it backs up and restores the memory files, where a crash would leave it', async () => {
    await agentFiles.write('default', 'user.md', '# User\n- likes tomatoes and basil\n', 'hand_edit');
    const created = await createdInTmpdir(async () => {
      const taken = await backups.createBackup('manual');
      await agentFiles.write('default', 'user.md', '# User\n- changed after the backup\n', 'hand_edit');
      assert.equal((await backups.restoreBackup(taken.id)).memory_dir_restored, true);
    });
    assert.deepEqual(created, []);
    assert.equal(await agentFiles.read('default', 'user.md'), '# User\n- likes tomatoes and basil\n');
    assert.deepEqual(
      await readdir(backupsDir, { recursive: true }).then((names) =>
        names.filter((name) => name.includes('agent-files')),
      ),
      [],
    );
  });

  it('refuses a SQLite backup with a 409 that names its format', async () => {
    const id = 'backup-20260101T000000000Z';
    const { format: _format, ...old } = backup;
    await mkdir(join(backupsDir, id));
    await writeFile(
      join(backupsDir, id, MANIFEST_FILE),
      JSON.stringify({ ...old, id, database: { ...old.database, file: 'engram.db' } }),
    );
    await assert.rejects(
      () => backups.restoreBackup(id),
      (error) =>
        error instanceof BackupIncompatible && error.status === 409 && /"sqlite" \(a SQLite/.test(error.message),
    );
  });
});
