import { isDatabaseBusy } from '../common/error-response';
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import * as sqliteVec from 'sqlite-vec';
import { unlockDatabase } from './database-key';
import { MIGRATIONS } from './migrations';
import { applyMigrations } from './migrator';
import { traceStatements } from '../tracing/sqlite-tracing';

export type SqliteDatabase = Database.Database;

/**
 * Opens the SQLite file with its key (ENGRAM_DB_ENCRYPTION_KEY) checked, sqlite-vec loaded, the
 * configured pragmas applied and every migration run. The api process holds this one connection:
 * SQLite allows one writer, and better-sqlite3 is synchronous.
 */
export function openSqliteDatabase(
  path: string,
  pragmas: Readonly<Record<string, string>>,
  encryptionKey?: string,
): SqliteDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    unlockDatabase(db, path, encryptionKey);
    sqliteVec.load(db);
    // busy_timeout first, so the others wait for a lock instead of failing at once.
    const ordered = Object.entries(pragmas).sort(
      ([a], [b]) => Number(b === 'busy_timeout') - Number(a === 'busy_timeout'),
    );
    for (const [name, value] of ordered) {
      if (name === 'journal_mode') setJournalMode(db, value, Number(pragmas.busy_timeout ?? 0));
      else db.pragma(`${name} = ${value}`);
    }
    db.pragma('foreign_keys = ON');
    applyMigrations(db, MIGRATIONS);
    return traceStatements(db);
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Switching a new file to WAL needs an exclusive lock, and SQLite answers SQLITE_BUSY at once (no busy
 * handler) while a process starting beside this one holds any lock on it: retry for up to busy_timeout.
 */
function setJournalMode(db: Database.Database, mode: string, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      db.pragma(`journal_mode = ${mode}`);
      return;
    } catch (error) {
      if (!isDatabaseBusy(error) || Date.now() >= deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10); // start-up only: a short blocking pause
    }
  }
}
