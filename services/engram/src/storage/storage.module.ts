import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { AUDIT_REPOSITORY } from '../audit/audit.repository';
import { DATABASE_FAILURE_LIMITER } from '../auth/failure-limiter';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { defaultRedisPrefix, RedisKeys } from '../config/redis-keys';
import { EMBEDDER, Embedder } from '../embeddings/embedder';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { AgentFileJournal } from './agent-file-journal';
import { memoryLimitsWithEntries } from './agent-file.rules';
import { DATABASE_AGENT_FILE_STORE } from './agent-file.store';
import { ApiKeyStore } from './api-key.store';
import { ConflictStore } from './conflict.store';
import { ConsolidationStore } from './consolidation.store';
import { EmbeddingModel, ModelMismatchPolicy } from './embedding-model.binding';
import { StoreLocks } from './locks/store-locks';
import { McpCancellationStore } from './mcp-cancellation.store';
import { MemoryStore } from './memory.store';
import { OAuthStore } from './oauth.store';
import { PostgresAgentFileStore } from './postgres/postgres-agent-file.store';
import { openPostgresStores, PostgresStores } from './postgres/postgres.stores';
import { SearchStore } from './search.store';
import { SettingsStore } from './settings.store';
import { DATABASE_SLOT_LEASES } from './slot-leases';
import { SqliteDatabase } from './sqlite.connection';
import { openSqliteStores, SqliteStores } from './sqlite/sqlite.stores';
import { StorageInfoRepository } from './storage-info.repository';
import { UsageStore } from './usage.store';
import { WorkspaceFolderSweeper } from './workspace-folder.sweeper';

/** Every port of the store this process opened (SQLite or PostgreSQL, by MCP_MEMORY_STORAGE_BACKEND). */
export const STORES = Symbol('STORES');
/** The SQLite handle, for specs that inspect the file; undefined on PostgreSQL. */
export const SQLITE_DATABASE = Symbol('SQLITE_DATABASE');
/** The store's cursor key (SettingsStore.cursorKey), read once: it never changes, restores keep it. */
export const LIST_CURSOR_KEY = Symbol('LIST_CURSOR_KEY');
/** Optional ModelMismatchPolicy; the worker and CLI provide `keep-stored` so they can reindex. */
export const MODEL_MISMATCH_POLICY = Symbol('MODEL_MISMATCH_POLICY');

/** The opened store: every port, and the handle of the one backend behind them. */
export type OpenedStores = SqliteStores | PostgresStores;

/**
 * Opens the configured store; every port below is one of its parts. Without an embedder (operator
 * commands that never touch vectors) the store opens without binding a model.
 */
export async function openStores(
  config: AppConfig,
  embedder?: EmbeddingModel,
  policy?: ModelMismatchPolicy,
): Promise<OpenedStores> {
  const model = embedder && { modelId: embedder.modelId, dimension: embedder.dimension };
  if (config.storage.backend === 'postgres') return openPostgresStores(config.storage.postgres!, model, policy);
  return openSqliteStores({
    path: config.storage.sqlitePath,
    pragmas: config.storage.pragmas,
    encryptionKey: config.storage.encryptionKey,
    vectorIndex: config.storage.vectorIndex,
    model,
    onMismatch: policy,
  });
}

/** A provider for one port of the opened store. */
function part<T>(token: unknown, pick: (stores: OpenedStores) => T) {
  return { provide: token as symbol, inject: [STORES], useFactory: pick };
}

@Module({
  imports: [EmbeddingsModule],
  providers: [
    {
      provide: STORES,
      inject: [APP_CONFIG, EMBEDDER, { token: MODEL_MISMATCH_POLICY, optional: true }],
      useFactory: (config: AppConfig, embedder: Embedder, policy?: ModelMismatchPolicy) =>
        openStores(config, embedder, policy),
    },
    part(SQLITE_DATABASE, (stores): SqliteDatabase | undefined =>
      stores.backend === 'sqlite_vec' ? stores.db : undefined,
    ),
    part(MemoryStore, (stores) => stores.memories),
    part(SearchStore, (stores) => stores.search),
    part(SettingsStore, (stores) => stores.settings),
    part(AUDIT_REPOSITORY, (stores) => stores.audit),
    part(UsageStore, (stores) => stores.usage),
    part(ConflictStore, (stores) => stores.conflicts),
    part(ConsolidationStore, (stores) => stores.consolidation),
    part(McpCancellationStore, (stores) => stores.cancellations),
    part(ApiKeyStore, (stores) => stores.apiKeys),
    part(OAuthStore, (stores) => stores.oauth),
    part(AgentFileJournal, (stores) => stores.fileJournal),
    // The agent's markdown memory: in the database on PostgreSQL; on SQLite the agent keeps its folder.
    {
      provide: DATABASE_AGENT_FILE_STORE,
      inject: [STORES, APP_CONFIG],
      useFactory: (stores: OpenedStores, config: AppConfig) =>
        stores.backend === 'postgres'
          ? new PostgresAgentFileStore(stores.db, memoryLimitsWithEntries(config.memoryMaxEntries))
          : undefined,
    },
    part(DATABASE_SLOT_LEASES, (stores) => stores.slotLeases),
    // Failed credentials counted in the database every process on it shares (the SQLite file or PostgreSQL).
    part(DATABASE_FAILURE_LIMITER, (stores) => stores.failureLimiter),
    part(StorageInfoRepository, (stores) => stores.info),
    part(StoreLocks, (stores) => new StoreLocks(stores.locks)),
    {
      provide: LIST_CURSOR_KEY,
      inject: [SettingsStore],
      useFactory: (settings: SettingsStore) => settings.cursorKey(),
    },
    {
      provide: RedisKeys,
      inject: [APP_CONFIG, SettingsStore],
      useFactory: async (config: AppConfig, settings: SettingsStore) =>
        new RedisKeys(config.redis.prefix ?? defaultRedisPrefix(await settings.storeId())),
    },
    WorkspaceFolderSweeper,
  ],
  exports: [
    STORES,
    SQLITE_DATABASE,
    MemoryStore,
    SearchStore,
    SettingsStore,
    LIST_CURSOR_KEY,
    AUDIT_REPOSITORY,
    StorageInfoRepository,
    UsageStore,
    ConflictStore,
    ConsolidationStore,
    RedisKeys,
    StoreLocks,
    McpCancellationStore,
    ApiKeyStore,
    OAuthStore,
    DATABASE_AGENT_FILE_STORE,
    DATABASE_SLOT_LEASES,
    DATABASE_FAILURE_LIMITER,
    AgentFileJournal,
    WorkspaceFolderSweeper,
  ],
})
export class StorageModule implements OnApplicationShutdown {
  constructor(@Inject(STORES) private readonly stores: OpenedStores) {}

  onApplicationShutdown(): Promise<void> {
    return this.stores.close();
  }
}
