import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backupIdAt, BackupManifest, StoredBackup } from './backup-manifest';
import { backupsToPrune } from './backup-retention';

const DAY_MS = 24 * 60 * 60 * 1000;
const NOW = Date.parse('2026-12-06T12:00:00.000Z');

/** A backup taken `daysAgo` days before NOW (fractions tell apart backups of one day). */
function backup(reason: BackupManifest['reason'], daysAgo: number): StoredBackup {
  const created = new Date(NOW - daysAgo * DAY_MS);
  const file = { file: 'engram.db', bytes: 1, sha256: '0'.repeat(64) };
  const id = backupIdAt(created);
  const manifest: BackupManifest = {
    id,
    created_at: created.toISOString(),
    reason,
    engram_version: '0.1.0',
    format: 'sqlite',
    schema_version: 1,
    embedding: { model: null, dimension: null },
    database: file,
    memory_dir: null,
    counts: { memories: 0, live_memories: 0, tags: 0, embeddings: 0 },
    integrity_check: 'ok',
    duration_ms: 1,
  };
  return { id, state: 'ok', manifest };
}

function corrupt(daysAgo: number): StoredBackup {
  return {
    id: backupIdAt(new Date(NOW - daysAgo * DAY_MS)),
    state: 'corrupt',
    problem: 'manifest.json is missing',
    bytes: 1,
  };
}

/** Newest first, as the repository lists them. */
const listed = (...backups: StoredBackup[]) => [...backups].sort((a, b) => b.id.localeCompare(a.id));

describe('backup retention', () => {
  it('keeps MCP_BACKUP_MAX_COUNT manual and scheduled backups, newest first, and drops older ones', () => {
    const [a, b, c] = [backup('scheduled', 0.1), backup('manual', 0.2), backup('scheduled', 0.3)];
    assert.deepEqual(backupsToPrune(listed(a, b, c), { maxCount: 2, retentionDays: 0 }, new Set(), NOW), [c.id]);
  });

  it('counts pre-restore backups apart: repeated restores never push out the manual backup', () => {
    const manual = backup('manual', 1);
    const restores = [0.1, 0.2, 0.3, 0.4].map((daysAgo) => backup('pre-restore', daysAgo));
    const doomed = backupsToPrune(listed(manual, ...restores), { maxCount: 2, retentionDays: 0 }, new Set(), NOW);
    assert.deepEqual(doomed, [restores[2].id, restores[3].id]);
  });

  it('keeps the newest manual or scheduled backup whatever its age, and lets older ones and old pre-restore ones go', () => {
    const [newest, older] = [backup('manual', 30), backup('scheduled', 31)];
    const [fresh, stale] = [backup('pre-restore', 0.1), backup('pre-restore', 8)];
    const doomed = backupsToPrune(
      listed(newest, older, fresh, stale),
      { maxCount: 10, retentionDays: 7 },
      new Set(),
      NOW,
    );
    assert.deepEqual(doomed.sort(), [older.id, stale.id].sort());
  });

  it('never deletes a backup it is told to keep (the one just taken, the one just restored)', () => {
    const [a, b, c] = [backup('pre-restore', 0.1), backup('pre-restore', 0.2), backup('pre-restore', 20)];
    const keep = new Set([a.id, c.id]);
    assert.deepEqual(backupsToPrune(listed(a, b, c), { maxCount: 1, retentionDays: 7 }, keep, NOW), [b.id]);
  });

  it('counts a corrupt backup with the manual and scheduled ones by the time in its id, never as the newest to keep', () => {
    const [damaged, sound, older] = [corrupt(0.1), backup('manual', 0.2), backup('scheduled', 0.3)];
    const outgrown = corrupt(0.4);
    const byCount = backupsToPrune(
      listed(damaged, sound, older, outgrown),
      { maxCount: 2, retentionDays: 0 },
      new Set(),
      NOW,
    );
    assert.deepEqual(byCount, [older.id, outgrown.id]);
    const [aged, lone] = [corrupt(20), backup('manual', 30)];
    const byAge = backupsToPrune(listed(aged, lone), { maxCount: 10, retentionDays: 7 }, new Set(), NOW);
    assert.deepEqual(byAge, [aged.id]);
  });
});
