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
    for (const [name, value] of Object.entries(pragmas)) db.pragma(`${name} = ${value}`);
    db.pragma('foreign_keys = ON');
    applyMigrations(db, MIGRATIONS);
    return traceStatements(db);
  } catch (error) {
    db.close();
    throw error;
  }
}
