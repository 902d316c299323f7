import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppConfig } from '../config/config.types';

/** Where the store lives, for logs and messages: the SQLite file, or the PostgreSQL host and database. */
export function storeLocation(storage: AppConfig['storage']): string {
  if (storage.backend !== 'postgres')
    return storage.sqlitePath === ':memory:' ? ':memory:' : resolve(storage.sqlitePath);
  return describePostgresUrl(storage.postgres!.url);
}

/** True when starting will create a new SQLite file; a database server's database is never created here. */
export function storeIsNew(storage: AppConfig['storage']): boolean {
  return storage.backend === 'sqlite_vec' && storage.sqlitePath !== ':memory:' && !existsSync(storage.sqlitePath);
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
