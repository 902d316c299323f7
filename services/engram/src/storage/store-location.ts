import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppConfig } from '../config/config.types';

/** Where the store lives, for logs and messages: the SQLite file, or the PostgreSQL host and database. */
export function storeLocation(storage: AppConfig['storage']): string {
  if (storage.backend !== 'postgres')
    return storage.sqlitePath === ':memory:' ? ':memory:' : resolve(storage.sqlitePath);
  return describePostgresUrl(storage.postgres!.url);
}

/**
 * True when starting will create a new SQLite store: no file yet, or an empty one (SQLite writes a new
 * database into a 0-byte file). A database server's database is never created here.
 */
export function storeIsNew(storage: AppConfig['storage']): boolean {
  if (storage.backend !== 'sqlite_vec' || storage.sqlitePath === ':memory:') return false;
  const found = statSync(storage.sqlitePath, { throwIfNoEntry: false });
  return found === undefined || (found.isFile() && found.size === 0);
}

/**
 * Why the SQLite path holds no database to open, or undefined when it holds a file with content (or
 * the store is in memory or on a server). Said in one line instead of SQLite's "unable to open
 * database file" and a stack.
 */
export function missingDatabase(storage: AppConfig['storage']): string | undefined {
  if (storage.backend !== 'sqlite_vec' || storage.sqlitePath === ':memory:') return undefined;
  return missingSqliteFile(storage.sqlitePath);
}

/** Why a SQLite file to read holds no database (nothing, a folder, an empty file), or undefined when it may. */
export function missingSqliteFile(file: string): string | undefined {
  const path = resolve(file);
  let found;
  try {
    found = statSync(path, { throwIfNoEntry: false });
  } catch (error) {
    return `cannot open ${path}: ${(error as NodeJS.ErrnoException).code}`;
  }
  if (found === undefined) return `no database at ${path}`;
  if (found.isDirectory()) return `${path} is a directory, not a database`;
  if (!found.isFile()) return `${path} is not a regular file, not a database`;
  if (found.size === 0) return `${path} is an empty file, not a database`;
  return undefined;
}

/** The URL without credentials or options: it may hold a password, which is never logged. */
export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `postgres://${parsed.host}${parsed.pathname}`;
  } catch {
    return 'the PostgreSQL database';
  }
}
