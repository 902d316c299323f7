import { dirname, join } from 'node:path';
import { FolderAgentFileStore } from '../agent/memory-dir/folder-agent-file.store';
import { AuditRepository } from '../audit/audit.repository';
import { SqliteAuditRepository } from '../audit/sqlite-audit.repository';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';
import { MemoryLimits } from '../storage/agent-file.rules';
import { AgentFileStore } from '../storage/agent-file.store';
import { ApiKeyStore } from '../storage/api-key.store';
import { bindEmbeddingModel, EmbeddingModel } from '../storage/embedding-model.binding';
import { MemoryRepository } from '../storage/memory.repository';
import { ConflictStore } from '../storage/conflict.store';
import { McpCancellationStore } from '../storage/mcp-cancellation.store';
import { MemoryStore } from '../storage/memory.store';
import { PostgresAgentFileStore } from '../storage/postgres/postgres-agent-file.store';
import { PostgresApiKeyStore } from '../storage/postgres/postgres-api-key.store';
import { PostgresConflictStore } from '../storage/postgres/postgres-conflict.store';
import { PostgresMcpCancellationStore } from '../storage/postgres/postgres-mcp-cancellation.store';
import { PostgresUsageStore } from '../storage/postgres/postgres-usage.store';
import { hasIterativeScans, openPostgresDatabase } from '../storage/postgres/postgres.connection';
import { PostgresMemoryStore } from '../storage/postgres/postgres-memory.store';
import { PostgresAuditRepository } from '../storage/postgres/postgres-audit.repository';
import { PostgresSearchStore } from '../storage/postgres/postgres-search.store';
import { PostgresSettingsStore } from '../storage/postgres/postgres-settings.store';
import { SearchRepository } from '../storage/search.repository';
import { SearchStore } from '../storage/search.store';
import { SettingsStore } from '../storage/settings.store';
import { openSqliteDatabase } from '../storage/sqlite.connection';
import { SqliteMemoryStore } from '../storage/sqlite/sqlite-memory.store';
import { SqliteSearchStore } from '../storage/sqlite/sqlite-search.store';
import { SqliteSettingsStore } from '../storage/sqlite/sqlite-settings.store';
import { SqliteApiKeyStore } from '../storage/sqlite/sqlite-api-key.store';
import { SqliteConflictStore } from '../storage/sqlite/sqlite-conflict.store';
import { SqliteMcpCancellationStore } from '../storage/sqlite/sqlite-mcp-cancellation.store';
import { SqliteUsageStore } from '../storage/sqlite/sqlite-usage.store';
import { UsageStore } from '../storage/usage.store';
import { VectorIndex } from '../storage/vector-index';
import { startTestPostgres, TestPostgres } from './postgres-test-server';
import { makeTempDir } from './test-app';

/** The ports of one opened store. */
export interface OpenedStorage {
  memories: MemoryStore;
  search: SearchStore;
  settings: SettingsStore;
  audit: AuditRepository;
  usage: UsageStore;
  conflicts: ConflictStore;
  cancellations: McpCancellationStore;
  apiKeys: ApiKeyStore;
  /** The agent's markdown memory (a folder beside the SQLite file; a table in PostgreSQL), at these limits. */
  agentFiles(limits?: MemoryLimits): AgentFileStore;
  close(): Promise<void>;
}

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
    async open(model) {
      const db = openSqliteDatabase(path, DEFAULT_PRAGMAS);
      try {
        bindEmbeddingModel(db, path, model);
      } catch (error) {
        db.close();
        throw error;
      }
      const vectors = new VectorIndex(db);
      vectors.expectModel(model.modelId);
      const memories = new MemoryRepository(db, vectors);
      return {
        memories: new SqliteMemoryStore(memories),
        search: new SqliteSearchStore(new SearchRepository(db, vectors, memories), vectors),
        settings: new SqliteSettingsStore(db),
        audit: new SqliteAuditRepository(db),
        usage: new SqliteUsageStore(db),
        conflicts: new SqliteConflictStore(db),
        cancellations: new SqliteMcpCancellationStore(db),
        apiKeys: new SqliteApiKeyStore(db),
        agentFiles: (limits) => new FolderAgentFileStore(join(dirname(path), 'memory'), limits),
        close: async () => {
          db.close();
        },
      };
    },
  };
}

export function postgresAdapter(): StorageAdapterUnderTest {
  let server: TestPostgres | undefined;
  return {
    name: 'PostgreSQL (PGlite over the wire)',
    async start() {
      server = await startTestPostgres();
    },
    wipe: () => server!.reset(),
    async stop() {
      await server?.close();
    },
    async open(model) {
      const db = await openPostgresDatabase({ url: server!.url, poolSize: 8, statementTimeoutMs: 30_000 }, model);
      return {
        memories: new PostgresMemoryStore(db),
        search: new PostgresSearchStore(db, { iterativeScans: await hasIterativeScans(db) }),
        settings: new PostgresSettingsStore(db),
        audit: new PostgresAuditRepository(db),
        usage: new PostgresUsageStore(db),
        conflicts: new PostgresConflictStore(db),
        cancellations: new PostgresMcpCancellationStore(db),
        apiKeys: new PostgresApiKeyStore(db),
        agentFiles: (limits) => new PostgresAgentFileStore(db, limits),
        close: () => db.close(),
      };
    },
  };
}
