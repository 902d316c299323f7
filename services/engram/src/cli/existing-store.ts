import { AppConfig } from '../config/config.types';
import { loadConfigOrReport } from '../config/config.loader';
import { missingDatabase, storeIsNew } from '../storage/store-location';

/**
 * The configuration of an operator command that works on an existing store, or its exit code: 78 for
 * bad configuration, 66 (EX_NOINPUT) when there is no database file at the path (nothing, a folder, an
 * empty file). Only servers create a store, so a mistyped path fails here, naming the path it looked
 * at, instead of creating an empty database.
 */
export function configForExistingStore(command: string, configArgv: readonly string[]): AppConfig | number {
  const config = loadConfigOrReport(configArgv);
  if (!config) return 78; // EX_CONFIG
  // A database server is never created by accident; the connection itself reports a wrong URL.
  return refuseMissingDatabase(command, config) ?? config;
}

/** Prints why the configured SQLite path holds no database and answers 66, or undefined when it does. */
export function refuseMissingDatabase(command: string, config: AppConfig): number | undefined {
  const problem = missingDatabase(config.storage);
  if (problem === undefined) return undefined;
  const hint = storeIsNew(config.storage) ? '; `engram serve` creates a new one' : '';
  process.stderr.write(`engram ${command}: ${problem} (MCP_MEMORY_SQLITE_PATH or --db)${hint}\n`);
  return 66; // EX_NOINPUT
}
