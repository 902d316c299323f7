import { join } from 'node:path';
import { serviceHelper } from './engram-cli';

const { startTestPostgres } = serviceHelper('testing/postgres-test-server.js');

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
