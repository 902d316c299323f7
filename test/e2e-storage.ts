import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import { CliStore, serviceHelper } from './engram-cli';

const { startTestPostgres } = serviceHelper('testing/postgres-test-server.js');
const { realPostgresAvailable, startRealPostgres } = serviceHelper('testing/real-postgres.js');
const { openSqliteDatabase } = serviceHelper('storage/sqlite.connection.js');
const { contentHash } = serviceHelper('memories/content-hash.js');

/**
 * A storage backend for whole-process suites that run once per backend: the SQLite file (the embedded
 * default) or PostgreSQL (PGlite over the wire protocol, reached with `pg` as in production).
 */
export interface E2eStorage {
  name: string;
  /** Starts what the backend needs and answers the env that points every process at one new store. */
  start(dir: string): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

export function e2eStorages(): E2eStorage[] {
  let postgres: { url: string; close(): Promise<void> } | undefined;
  return [
    {
      name: 'SQLite',
      start: async (dir) => ({ MCP_MEMORY_SQLITE_PATH: join(dir, 'a.db') }),
      stop: async () => undefined,
    },
    {
      name: 'PostgreSQL',
      async start() {
        postgres = await startTestPostgres();
        return { MCP_MEMORY_STORAGE_BACKEND: 'postgres', DATABASE_URL: postgres!.url };
      },
      stop: async () => postgres?.close(),
    },
  ];
}

/**
 * The backends for suites whose processes must each have sessions of their own, as replicas do: a process's
 * advisory locks (the inline jobs' owner locks) are its session's, and PGlite serves every connection on one
 * session. PostgreSQL is a real server (ENGRAM_TEST_POSTGRES_URL, else a cluster on this machine's
 * postgresql-15 with pgvector), and is left out where there is none (docs/development.md).
 */
export function e2eStoragesWithSessions(): E2eStorage[] {
  const [sqlite] = e2eStorages();
  if (!realPostgresAvailable()) return [sqlite];
  let postgres: { url: string; close(): Promise<void> } | undefined;
  return [
    sqlite,
    {
      name: 'PostgreSQL',
      async start() {
        postgres = await startRealPostgres();
        return { MCP_MEMORY_STORAGE_BACKEND: 'postgres', DATABASE_URL: postgres!.url };
      },
      stop: async () => postgres?.close(),
    },
  ];
}

/**
 * Starts `storage` for a suite of CLI commands run in `store`: the env of `store` pointed at one new store
 * of the backend. Commands other than serve open only an existing SQLite file, so the one it names is made.
 */
export async function startCliStorage(storage: E2eStorage, store: CliStore): Promise<Record<string, string>> {
  const env = { ...store.env, ...(await storage.start(store.dir)) };
  if (storage.name === 'SQLite') openSqliteDatabase(env.MCP_MEMORY_SQLITE_PATH, {}).close();
  return env;
}

/**
 * Each row holding a text, live or in the trash, read from the database itself: PostgreSQL when `env` (as
 * start answered it) names a DATABASE_URL, else its SQLite file.
 */
export function memoryRowsIn(env: Record<string, string>): (text: string) => Promise<{ deleted: boolean }[]> {
  const url = env.DATABASE_URL;
  const read = url === undefined ? sqliteDeletedAt(env.MCP_MEMORY_SQLITE_PATH) : postgresDeletedAt(url);
  return async (text) => (await read(contentHash(text))).map((deletedAt) => ({ deleted: deletedAt !== null }));
}

function sqliteDeletedAt(path: string) {
  return async (hash: string): Promise<(number | null)[]> => {
    const db = openSqliteDatabase(path, {});
    try {
      return db.prepare('SELECT deleted_at FROM memories WHERE content_hash = ?').pluck().all(hash);
    } finally {
      db.close();
    }
  };
}

function postgresDeletedAt(url: string) {
  return async (hash: string): Promise<(string | null)[]> => {
    const client = new PgClient({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT deleted_at FROM memories WHERE content_hash = $1', [hash]);
      return rows.map((row) => row.deleted_at);
    } finally {
      await client.end();
    }
  };
}
