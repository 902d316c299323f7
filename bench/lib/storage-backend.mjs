/**
 * `--storage sqlite|postgres` for the benchmarks and the LoCoMo evaluation. PostgreSQL here is PGlite
 * (Postgres with pgvector compiled to WebAssembly) served over the real wire protocol by the service's
 * own test server, so the api and the adapter talk to it with `pg` over TCP as to a real server. It runs
 * every statement on one thread in the benchmark's process: its figures are a floor, not what a native
 * PostgreSQL server would give.
 */
import { fromDist } from './dist.mjs';

export const STORAGE_BACKENDS = ['sqlite', 'postgres'];

/** How every PostgreSQL figure is labelled wherever it is shown. */
export const PGLITE_LABEL = 'PGlite (single-threaded WebAssembly): a floor, not native PostgreSQL';

/** The backend a `--storage` value names; anything else is refused with the accepted values. */
export function parseStorageBackend(value = 'sqlite') {
  if (!STORAGE_BACKENDS.includes(value)) {
    throw new Error(`--storage must be one of ${STORAGE_BACKENDS.join(', ')} (got "${value}")`);
  }
  return value;
}

/** PGlite runs one statement at a time: statements get more time than the production default. */
const STATEMENT_TIMEOUT_MS = 120_000;

/**
 * A fresh PostgreSQL for a benchmark: the PGlite test server, the environment that points the api at
 * it, and `reset` to empty it between runs.
 */
export async function startBenchPostgres() {
  const { startTestPostgres } = fromDist('testing/postgres-test-server.js');
  const server = await startTestPostgres();
  return {
    url: server.url,
    env: {
      MCP_MEMORY_STORAGE_BACKEND: 'postgres',
      DATABASE_URL: server.url,
      ENGRAM_DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
    },
    /** The adapter's connection settings, for the benchmark's own stores. */
    settings: { url: server.url, poolSize: 4, statementTimeoutMs: STATEMENT_TIMEOUT_MS },
    reset: () => server.reset(),
    close: () => server.close(),
  };
}
