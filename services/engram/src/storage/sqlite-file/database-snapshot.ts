import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { applyDatabaseKey, keyOfFile, unlockDatabase } from '../database-key';

/** What a backup file holds, read from the file itself: the facts its manifest records and checks. */
export interface DatabaseSummary {
  integrity: string;
  schemaVersion: number;
  embeddingModel: string | null;
  embeddingDimension: number | null;
  counts: { memories: number; liveMemories: number; tags: number; embeddings: number };
}

/**
 * Copies the live database with `VACUUM INTO` on a connection of its own: one read transaction, so
 * writes from other connections neither restart it nor wait for it (WAL), and an encrypted database
 * gives a copy encrypted with the same key (the online backup API refuses to copy encrypted pages).
 * The copy is compacted; 204 MB copied in 5.5 s against 4.5 s for the backup API here.
 */
export function copyLiveDatabase(sourcePath: string, destinationPath: string, encryptionKey?: string): void {
  const source = new Database(sourcePath, { fileMustExist: true });
  try {
    unlockDatabase(source, sourcePath, encryptionKey);
    sqliteVec.load(source);
    source.prepare('VACUUM INTO ?').run(destinationPath);
  } finally {
    source.close();
  }
}

/** Opens a database file on its own connection, with the key when the file is encrypted. */
function openFile(path: string, encryptionKey: string | undefined, readonly = false): Database.Database {
  const db = new Database(path, { fileMustExist: true, readonly });
  const key = keyOfFile(path, encryptionKey);
  if (key !== undefined) applyDatabaseKey(db, key);
  return db;
}

/**
 * Makes a fresh copy self-contained (rollback journal instead of WAL, so it is one file that a checksum
 * covers) and summarises it.
 */
export function sealCopy(path: string, encryptionKey?: string): DatabaseSummary {
  const db = openFile(path, encryptionKey);
  try {
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
  return summariseDatabase(path, encryptionKey);
}

/**
 * Integrity check, schema version, embedding model and row counts of a database file, read-only; a
 * backup taken before the store was encrypted is plaintext and read so.
 */
export function summariseDatabase(path: string, encryptionKey?: string): DatabaseSummary {
  const db = openFile(path, encryptionKey, true);
  try {
    sqliteVec.load(db);
    const problems = db.pragma('integrity_check', { simple: false }) as { integrity_check: string }[];
    const integrity = problems.map((row) => row.integrity_check).join('; ');
    if (integrity !== 'ok') return emptySummary(integrity);
    const value = (sql: string) => db.prepare(sql).pluck().get() as number | string | null | undefined;
    return {
      integrity,
      schemaVersion: Number(value('SELECT max(version) FROM schema_migrations') ?? 0),
      embeddingModel: (value("SELECT value FROM settings WHERE key = 'embedding_model'") as string) ?? null,
      embeddingDimension: numberOrNull(value("SELECT value FROM settings WHERE key = 'embedding_dimension'")),
      counts: {
        memories: Number(value('SELECT count(*) FROM memories')),
        liveMemories: Number(value('SELECT count(*) FROM memories WHERE deleted_at IS NULL')),
        tags: Number(value('SELECT count(*) FROM memory_tags')),
        embeddings: Number(value('SELECT count(*) FROM memory_embeddings')),
      },
    };
  } catch (error) {
    // A truncated or foreign file fails here ("file is not a database", "no such table").
    return emptySummary((error as Error).message);
  } finally {
    db.close();
  }
}

export function emptySummary(integrity: string): DatabaseSummary {
  return {
    integrity,
    schemaVersion: 0,
    embeddingModel: null,
    embeddingDimension: null,
    counts: { memories: 0, liveMemories: 0, tags: 0, embeddings: 0 },
  };
}

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}
