import Database from 'better-sqlite3';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { syncToDiskNow } from '../common/durable-file';
import { isDatabaseBusy } from '../common/error-response';
import { isPlaintextDatabase, rekeyDatabase, unlockDatabase } from './database-key';

export interface EncryptionOutcome {
  database: string;
  /** Ordinary tables (virtual tables' storage included) whose row counts were checked in the copy. */
  tables: number;
  rows: number;
  seconds: number;
}

/** Another process has the database open: encrypting under it would lose what it writes. */
export class DatabaseInUse extends Error {}

export class DatabaseMissing extends Error {}

/**
 * Encrypts a plaintext store in place, safely: the file is taken for this process alone (WAL left for
 * a rollback journal, which SQLite refuses while another connection has it open, then an exclusive
 * lock kept until the end), copied with `VACUUM INTO`, the copy encrypted and checked (integrity and
 * every table's row count against the original), and only then renamed over the original. A failure
 * at any step leaves the original as it was. Answers undefined when the file is already encrypted
 * with this key.
 */
export function encryptDatabaseInPlace(path: string, key: string): EncryptionOutcome | undefined {
  if (!existsSync(path)) throw new DatabaseMissing(`No database at ${path}`);
  if (!isPlaintextDatabase(path)) {
    checkOpensWith(path, key);
    return undefined;
  }
  const started = Date.now();
  const source = takeAlone(path);
  const copy = `${path}.encrypting`;
  try {
    rmSync(copy, { force: true });
    source.prepare('VACUUM INTO ?').run(copy);
    const encrypting = new Database(copy);
    try {
      rekeyDatabase(encrypting, key);
    } finally {
      encrypting.close();
    }
    const counts = verifyCopy(source, copy, key);
    // VACUUM INTO does not fsync its output: the copy must be on disk before it replaces the original.
    syncToDiskNow(copy);
    renameSync(copy, path);
    syncToDiskNow(dirname(path));
    return {
      database: path,
      tables: counts.size,
      rows: [...counts.values()].reduce((sum, rows) => sum + rows, 0),
      seconds: (Date.now() - started) / 1000,
    };
  } catch (error) {
    rmSync(copy, { force: true });
    throw error;
  } finally {
    source.close();
  }
}

/** This process's connection, alone on the file until it closes. */
function takeAlone(path: string): Database.Database {
  const db = new Database(path, { timeout: 0 });
  try {
    db.pragma('journal_mode = DELETE');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE; COMMIT'); // the lock stays: exclusive locking mode keeps it until close
    return db;
  } catch (error) {
    db.close();
    if (!isDatabaseBusy(error)) throw error;
    throw new DatabaseInUse(
      `${path} is open in another process: stop the api, the workers and every other Engram process using it first`,
    );
  }
}

/** The encrypted copy opens with the key, passes the integrity check, and holds every row. */
function verifyCopy(source: Database.Database, copyPath: string, key: string): Map<string, number> {
  const expected = tableCounts(source);
  const copy = new Database(copyPath, { readonly: true });
  try {
    unlockDatabase(copy, copyPath, key);
    const integrity = copy.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') throw new Error(`The encrypted copy failed its integrity check: ${String(integrity)}`);
    const actual = tableCounts(copy);
    for (const [table, rows] of expected) {
      if (actual.get(table) !== rows) {
        throw new Error(`The encrypted copy holds ${actual.get(table)} rows of ${table}, not ${rows}; nothing changed`);
      }
    }
    return expected;
  } finally {
    copy.close();
  }
}

function tableCounts(db: Database.Database): Map<string, number> {
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'")
    .pluck()
    .all() as string[];
  return new Map(tables.map((table) => [table, db.prepare(`SELECT count(*) FROM "${table}"`).pluck().get() as number]));
}

/** An encrypted file that does not open with the key is a configuration problem (ConfigError, 78). */
function checkOpensWith(path: string, key: string): void {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    unlockDatabase(db, path, key);
  } finally {
    db.close();
  }
}
