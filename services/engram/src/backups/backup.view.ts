import { BackupManifest } from './backup-manifest';
import { sizeOf } from './backup.service';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A backup as listed: MCP Memory Service's fields (filename, size_bytes, created_at, age_days) plus ours. */
export function toBackupView(manifest: BackupManifest, now = Date.now()) {
  return {
    backup_id: manifest.id,
    filename: manifest.id,
    size_bytes: sizeOf(manifest),
    created_at: manifest.created_at,
    age_days: Math.floor((now - Date.parse(manifest.created_at)) / DAY_MS),
    reason: manifest.reason,
    memories: manifest.counts.live_memories,
    embedding_model: manifest.embedding.model,
    includes_memory_dir: manifest.memory_dir !== null,
    // A manifest is written last, after the copy passed its integrity check and its checksums were
    // recorded; restore checks both again before it changes anything.
    verified: manifest.integrity_check === 'ok',
  };
}
