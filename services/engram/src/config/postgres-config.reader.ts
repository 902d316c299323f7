import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { PostgresConfig } from './config.types';
import { EnvReader } from './env-reader';

/**
 * The PostgreSQL connection: DATABASE_URL, or DATABASE_URL_FILE (a Kubernetes secret mounted as a file),
 * the pool size per process and the statement timeout (also the wait for a free connection).
 */
export function readPostgresConfig(read: EnvReader, cwd: string): PostgresConfig | undefined {
  const poolSize = read.integer('ENGRAM_DATABASE_POOL_SIZE', 10, 1, 1000);
  const statementTimeoutMs = read.integer('ENGRAM_DATABASE_STATEMENT_TIMEOUT_MS', 15_000, 100, 3_600_000);
  const url = readUrl(read, cwd);
  return url === undefined ? undefined : { url, poolSize, statementTimeoutMs };
}

function readUrl(read: EnvReader, cwd: string): string | undefined {
  const inline = read.raw('DATABASE_URL');
  const file = read.raw('DATABASE_URL_FILE');
  if (inline !== undefined && file !== undefined) {
    read.errors.push('Set DATABASE_URL or DATABASE_URL_FILE, not both');
    return undefined;
  }
  if (inline === undefined && file === undefined) {
    read.errors.push('MCP_MEMORY_STORAGE_BACKEND=postgres needs DATABASE_URL (or DATABASE_URL_FILE)');
    return undefined;
  }
  let url = inline;
  if (file !== undefined) {
    try {
      url = readFileSync(isAbsolute(file) ? file : resolve(cwd, file), 'utf8').trim();
    } catch (error) {
      read.errors.push(`DATABASE_URL_FILE=${file} cannot be read: ${(error as NodeJS.ErrnoException).code}`);
      return undefined;
    }
  }
  const source = file === undefined ? 'DATABASE_URL' : `The URL in DATABASE_URL_FILE=${file}`;
  // The value may hold a password: problems name the variable, never echo the value.
  try {
    const parsed = new URL(url!);
    if (parsed.protocol === 'postgres:' || parsed.protocol === 'postgresql:') {
      if (parsed.hostname !== '' && parsed.pathname.length > 1) return url;
    }
  } catch {
    // reported below
  }
  read.errors.push(`${source} is not accepted; expected postgres://user:password@host:5432/database`);
  return undefined;
}
