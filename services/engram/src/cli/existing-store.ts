import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppConfig } from '../config/config.types';
import { loadConfigOrReport } from '../config/config.loader';
import { isPostgresBackend } from '../storage/postgres/postgres.token';

/**
 * The configuration of an operator command that works on an existing store, or its exit code: 78 for
 * bad configuration, 66 (EX_NOINPUT) when the database file is missing. Only servers create a store, so
 * a mistyped path fails here, naming the path it looked at, instead of creating an empty database.
 */
export function configForExistingStore(command: string, configArgv: readonly string[]): AppConfig | number {
  const config = loadConfigOrReport(configArgv);
  if (!config) return 78; // EX_CONFIG
  // A PostgreSQL store lives on its server: there is no file to look for.
  if (isPostgresBackend(config.storage.backend)) return config;
  const path = config.storage.sqlitePath;
  if (path === ':memory:' || existsSync(path)) return config;
  process.stderr.write(
    `engram ${command}: no database at ${resolve(path)} (MCP_MEMORY_SQLITE_PATH or --db); ` +
      '`engram serve` creates a new one\n',
  );
  return 66; // EX_NOINPUT
}
