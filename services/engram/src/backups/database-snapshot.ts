import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';

/** What a backup file holds, read from the file itself: the facts its manifest records and checks. */
export interface DatabaseSummary {
  integrity: string;
  schemaVersion: number;
  embeddingModel: string | null;
  embeddingDimension: number | null;
  counts: { memories: number; liveMemories: number; tags: number; embeddings: number };
}

/**
 * Copies the live database with SQLite's online backup API on a connection of its own. After the
 * first step the rest is copied in one step, so writes from other connections cannot restart it; in
 * WAL mode the read snapshot it holds does not block writers.
 */
export async function copyLiveDatabase(sourcePath: string, destinationPath: string): Promise<void> {
  const source = new Database(sourcePath, { fileMustExist: true });
  try {
    await source.backup(destinationPath, { progress: () => 2 ** 30 });
  } finally {
    source.close();
  }
}

/**
 * Makes a fresh copy self-contained (rollback journal instead of WAL, so it is one file that a checksum
 * covers) and summarises it.
 */
export function sealCopy(path: string): DatabaseSummary {
  const db = new Database(path, { fileMustExist: true });
  try {
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
  return summariseDatabase(path);
}

/** Integrity check, schema version, embedding model and row counts of a database file, read-only. */
export function summariseDatabase(path: string): DatabaseSummary {
  const db = new Database(path, { readonly: true, fileMustExist: true });
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

function emptySummary(integrity: string): DatabaseSummary {
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
