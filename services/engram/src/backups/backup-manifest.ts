import { z } from 'zod';

/** `backup-<UTC timestamp to the millisecond>`: the only shape a backup id can take (no path can hide in it). */
export const BACKUP_ID_PATTERN = /^backup-\d{8}T\d{9}Z$/;

/**
 * What a backup's data file is: a copy of the SQLite database file, or Engram's portable export
 * (NDJSON, with vectors and the model id) of a PostgreSQL store. A restore takes only its own backend's.
 */
export const BACKUP_FORMATS = ['sqlite', 'engram-export'] as const;
export type BackupFormat = (typeof BACKUP_FORMATS)[number];

export const DATABASE_FILE = 'engram.db';
export const EXPORT_FILE = 'memories.ndjson';
export const MEMORY_ARCHIVE_FILE = 'memory.tar.gz';
export const MANIFEST_FILE = 'manifest.json';

export const BACKUP_REASONS = ['manual', 'scheduled', 'pre-restore'] as const;
export type BackupReason = (typeof BACKUP_REASONS)[number];

const FileEntry = z.object({ file: z.string(), bytes: z.number().int().nonnegative(), sha256: z.string() });

/** What a backup holds and how to check it; written last, so a backup without one never completed. */
export const BackupManifest = z.object({
  id: z.string().regex(BACKUP_ID_PATTERN),
  created_at: z.string(),
  reason: z.enum(BACKUP_REASONS),
  engram_version: z.string(),
  // Manifests written before PostgreSQL backups existed describe SQLite copies.
  format: z.enum(BACKUP_FORMATS).default('sqlite'),
  schema_version: z.number().int(),
  embedding: z.object({ model: z.string().nullable(), dimension: z.number().int().nullable() }),
  database: FileEntry,
  memory_dir: FileEntry.nullable(),
  counts: z.object({
    memories: z.number().int(),
    live_memories: z.number().int(),
    tags: z.number().int(),
    embeddings: z.number().int(),
  }),
  integrity_check: z.literal('ok'),
  duration_ms: z.number(),
});
export type BackupManifest = z.infer<typeof BackupManifest>;

/**
 * A backup folder as found: sound (its manifest read and checked) or corrupt (no manifest, or one that
 * is not valid JSON or not a backup's), kept in sight so restore refuses it and retention prunes it.
 */
export type StoredBackup =
  | { id: string; state: 'ok'; manifest: BackupManifest }
  | { id: string; state: 'corrupt'; problem: string; bytes: number };

export function backupIdAt(date: Date): string {
  return `backup-${date.toISOString().replace(/[-:.]/g, '')}`;
}

export function backupDate(id: string): Date {
  const digits = id.slice('backup-'.length);
  const iso = `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}T${digits.slice(9, 11)}:${digits.slice(11, 13)}:${digits.slice(13, 15)}.${digits.slice(15, 18)}Z`;
  return new Date(iso);
}
