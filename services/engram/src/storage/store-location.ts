import { LoggerService } from '@nestjs/common';
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
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
  let found;
  try {
    found = statSync(storage.sqlitePath, { throwIfNoEntry: false });
  } catch {
    return false; // a file where a folder of the path should be: missingDatabase names it
  }
  return found === undefined || (found.isFile() && found.size === 0);
}

/**
 * The start-up line of a server (serve, worker) about to create a new, empty SQLite store, so whoever
 * reads its log sees where a first start, or a mistyped or unmounted path, put the data. Nothing otherwise.
 */
export function announceNewStore(storage: AppConfig['storage'], logger: LoggerService): void {
  if (!storeIsNew(storage)) return;
  logger.log({ msg: 'No database yet: creating a new, empty one', database: storeLocation(storage) }, 'Startup');
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

/**
 * Why a command that creates the store when there is none (serve, worker, stdio mcp) may not open the
 * configured SQLite path, or undefined when it may. A path the user gave (MCP_MEMORY_SQLITE_PATH or
 * --db) must lead to an existing folder: a mistyped one would get a new, empty store that every client
 * then writes to. The default under MCP_MEMORY_BASE_DIR is Engram's own folder, created as needed.
 */
export function unusableStorePath(storage: AppConfig['storage']): string | undefined {
  if (!storeIsNew(storage)) return missingDatabase(storage); // a folder where the file should be, say
  const folder = storage.sqlitePathGiven ? missingFolder(storage) : undefined;
  if (folder === undefined) return undefined;
  return `no database at ${storeLocation(storage)}, and no folder ${folder} to create it in`;
}

/**
 * The folder a new SQLite file would be created in, when that is not an existing folder: the path is
 * likely mistyped. Undefined when it exists (or the store is in memory or on a server).
 */
function missingFolder(storage: AppConfig['storage']): string | undefined {
  if (storage.backend !== 'sqlite_vec' || storage.sqlitePath === ':memory:') return undefined;
  const folder = dirname(resolve(storage.sqlitePath));
  try {
    return statSync(folder, { throwIfNoEntry: false })?.isDirectory() ? undefined : folder;
  } catch {
    return folder; // a file where a folder of the path should be (ENOTDIR), or one we may not look into
  }
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
