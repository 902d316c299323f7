import { PostgresConfig } from './config.types';
import { EnvReader } from './env-reader';

/**
 * The PostgreSQL connection: DATABASE_URL, or DATABASE_URL_FILE (a Kubernetes secret mounted as a file),
 * the pool size per process and the statement timeout (also the wait for a free connection).
 */
export function readPostgresConfig(read: EnvReader): PostgresConfig | undefined {
  const poolSize = read.integer('ENGRAM_DATABASE_POOL_SIZE', 10, 1, 1000);
  const statementTimeoutMs = read.integer('ENGRAM_DATABASE_STATEMENT_TIMEOUT_MS', 15_000, 100, 3_600_000);
  const url = readUrl(read);
  return url === undefined ? undefined : { url, poolSize, statementTimeoutMs };
}

function readUrl(read: EnvReader): string | undefined {
  const { given, value: url } = read.secret('DATABASE_URL');
  if (!given) read.errors.push('MCP_MEMORY_STORAGE_BACKEND=postgres needs DATABASE_URL (or DATABASE_URL_FILE)');
  if (url === undefined) return undefined;
  const file = read.raw('DATABASE_URL_FILE');
  const source = file === undefined ? 'DATABASE_URL' : `The URL in DATABASE_URL_FILE=${file}`;
  // The value may hold a password: problems name the variable, never echo the value.
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'postgres:' || parsed.protocol === 'postgresql:') {
      if (parsed.hostname !== '' && parsed.pathname.length > 1) return url;
    }
  } catch {
    // reported below
  }
  read.errors.push(`${source} is not accepted; expected postgres://user:password@host:5432/database`);
  return undefined;
}
