import { BackupLeftover, describeLeftover, mayHoldOnlyCopy } from './backup-leftovers';
import { backupDate, StoredBackup } from './backup-manifest';
import { sizeOf } from './backup.service';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A backup as listed: MCP Memory Service's fields (filename, size_bytes, created_at, age_days) plus ours.
 * A corrupt one (`state: "corrupt"`, with its `problem`) shows what it takes on disk and when its id says
 * it was taken; what only its manifest could tell is null.
 */
export function toBackupView(backup: StoredBackup, now = Date.now()) {
  const createdAt = backup.state === 'ok' ? backup.manifest.created_at : backupDate(backup.id).toISOString();
  const common = {
    backup_id: backup.id,
    filename: backup.id,
    created_at: createdAt,
    age_days: Math.floor((now - Date.parse(createdAt)) / DAY_MS),
  };
  if (backup.state === 'corrupt') {
    return {
      ...common,
      size_bytes: backup.bytes,
      reason: null,
      memories: null,
      embedding_model: null,
      includes_memory_dir: null,
      verified: false,
      state: backup.state,
      problem: backup.problem,
    };
  }
  const { manifest } = backup;
  return {
    ...common,
    size_bytes: sizeOf(manifest),
    reason: manifest.reason,
    memories: manifest.counts.live_memories,
    embedding_model: manifest.embedding.model,
    includes_memory_dir: manifest.memory_dir !== null,
    // A manifest is written last, after the copy passed its integrity check and its checksums were
    // recorded; restore checks both again before it changes anything.
    verified: manifest.integrity_check === 'ok',
    state: backup.state,
    problem: null,
  };
}

/**
 * What a crash left of a backup or a restore (`state: "incomplete"`), listed apart from the backups: its
 * name (what DELETE /api/admin/backups/:name takes), what kind of leftover it is, what it takes on disk and
 * since when it is untouched, and whether it may hold the only copy of a state a restore replaced.
 */
export function toLeftoverView(leftover: BackupLeftover, now = Date.now()) {
  return {
    name: leftover.name,
    path: leftover.path,
    kind: leftover.kind,
    backup_id: leftover.backupId,
    reason: leftover.reason,
    size_bytes: leftover.bytes,
    modified_at: new Date(leftover.modifiedAt).toISOString(),
    age_days: Math.floor((now - leftover.modifiedAt) / DAY_MS),
    may_hold_only_copy: mayHoldOnlyCopy(leftover),
    state: 'incomplete' as const,
    problem: describeLeftover(leftover),
  };
}
