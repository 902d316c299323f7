import { dirname, join } from 'node:path';
import { FolderAgentFileStore } from '../agent/memory-dir/folder-agent-file.store';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';
import { MemoryLimits } from '../storage/agent-file.rules';
import { AgentFileStore } from '../storage/agent-file.store';
import { PostgresAgentFileStore } from '../storage/postgres/postgres-agent-file.store';
import { EmbeddingModel } from '../storage/embedding-model.binding';
import { openPostgresStores } from '../storage/postgres/postgres.stores';
import { openSqliteStores } from '../storage/sqlite/sqlite.stores';
import { Stores } from '../storage/stores';
import { startTestPostgres, TestPostgres } from './postgres-test-server';
import { makeTempDir } from './test-app';

/**
 * The ports of one opened store, built exactly as the service builds them at start-up, and the agent's
 * memory files where that backend keeps them (a folder beside the SQLite file, or the database).
 */
export type OpenedStorage = Stores & { agentFiles(limits?: MemoryLimits): AgentFileStore };

/**
 * One storage adapter as the contract suite drives it: `start` once per suite, `open` a store (the same
 * store again until `wipe`), `stop` at the end. Every adapter passes the same assertions.
 */
export interface StorageAdapterUnderTest {
  name: string;
  start(): Promise<void>;
  open(model: EmbeddingModel): Promise<OpenedStorage>;
  /** Forgets everything: the next `open` gets a new, empty store. */
  wipe(): Promise<void>;
  stop(): Promise<void>;
}

export function sqliteAdapter(): StorageAdapterUnderTest {
  let path = '';
  const wipe = async () => {
    path = join(makeTempDir(), 'engram.db');
  };
  return {
    name: 'SQLite',
    start: wipe,
    wipe,
    stop: async () => undefined,
    open: async (model) => {
      const stores = openSqliteStores({ path, pragmas: DEFAULT_PRAGMAS, model });
      return {
        ...stores,
        agentFiles: (limits) => new FolderAgentFileStore(join(dirname(path), 'memory'), stores.fileJournal, limits),
      };
    },
  };
}

export function postgresAdapter(): StorageAdapterUnderTest {
  let server: TestPostgres | undefined;
  return {
    name: 'PostgreSQL',
    async start() {
      server = await startTestPostgres();
    },
    wipe: () => server!.reset(),
    async stop() {
      await server?.close();
    },
    async open(model) {
      const stores = await openPostgresStores({ url: server!.url, poolSize: 8, statementTimeoutMs: 30_000 }, model);
      return { ...stores, agentFiles: (limits) => new PostgresAgentFileStore(stores.db, limits) };
    },
  };
}
