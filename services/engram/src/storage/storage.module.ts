import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { defaultRedisPrefix, RedisKeys } from '../config/redis-keys';
import { EMBEDDER, Embedder } from '../embeddings/embedder';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { ApiKeyStore } from './api-key.store';
import { bindEmbeddingModel, ModelMismatchPolicy } from './embedding-model.binding';
import { McpCancellationStore } from './mcp-cancellation.store';
import { OAuthStore } from './oauth.store';
import { MemoryRepository } from './memory.repository';
import { MemoryStore } from './memory.store';
import { SearchRepository } from './search.repository';
import { SearchStore } from './search.store';
import { SettingsStore } from './settings.store';
import { openSqliteDatabase, SqliteDatabase } from './sqlite.connection';
import { StorageInfoRepository } from './storage-info.repository';
import { ConflictStore } from './conflict.store';
import { UsageStore } from './usage.store';
import { SqliteApiKeyStore } from './sqlite/sqlite-api-key.store';
import { SqliteConflictStore } from './sqlite/sqlite-conflict.store';
import { SqliteMcpCancellationStore } from './sqlite/sqlite-mcp-cancellation.store';
import { SqliteOAuthStore } from './sqlite/sqlite-oauth.store';
import { SqliteUsageStore } from './sqlite/sqlite-usage.store';
import { SqliteLockRepository } from './locks/sqlite-lock.repository';
import { StoreLocks } from './locks/store-locks';
import { VectorIndex } from './vector-index';
import { SqliteMemoryStore } from './sqlite/sqlite-memory.store';
import { SqliteSearchStore } from './sqlite/sqlite-search.store';
import { SqliteSettingsStore } from './sqlite/sqlite-settings.store';

export const SQLITE_DATABASE = Symbol('SQLITE_DATABASE');
/** Optional ModelMismatchPolicy; the worker and CLI provide `keep-stored` so they can reindex. */
export const MODEL_MISMATCH_POLICY = Symbol('MODEL_MISMATCH_POLICY');

@Module({
  imports: [EmbeddingsModule],
  providers: [
    {
      provide: SQLITE_DATABASE,
      inject: [APP_CONFIG, EMBEDDER, { token: MODEL_MISMATCH_POLICY, optional: true }],
      useFactory: (config: AppConfig, embedder: Embedder, policy?: ModelMismatchPolicy): SqliteDatabase => {
        const db = openSqliteDatabase(config.storage.sqlitePath, config.storage.pragmas, config.storage.encryptionKey);
        try {
          bindEmbeddingModel(db, config.storage.sqlitePath, embedder, policy);
        } catch (error) {
          db.close();
          throw error;
        }
        return db;
      },
    },
    {
      provide: VectorIndex,
      inject: [SQLITE_DATABASE, EMBEDDER],
      useFactory: (db: SqliteDatabase, embedder: Embedder) => {
        const vectors = new VectorIndex(db);
        // Even a process that opened another model's database (to reindex it: the staging tables take
        // those vectors) must never write or search with mismatched ones.
        vectors.expectModel(embedder.modelId);
        return vectors;
      },
    },
    {
      provide: MemoryRepository,
      inject: [SQLITE_DATABASE, VectorIndex],
      useFactory: (db: SqliteDatabase, vectors: VectorIndex) => new MemoryRepository(db, vectors),
    },
    {
      provide: SearchRepository,
      inject: [SQLITE_DATABASE, VectorIndex, MemoryRepository],
      useFactory: (db: SqliteDatabase, vectors: VectorIndex, memories: MemoryRepository) =>
        new SearchRepository(db, vectors, memories),
    },
    {
      provide: MemoryStore,
      inject: [MemoryRepository],
      useFactory: (memories: MemoryRepository) => new SqliteMemoryStore(memories),
    },
    {
      provide: SearchStore,
      inject: [SearchRepository, VectorIndex],
      useFactory: (search: SearchRepository, vectors: VectorIndex) => new SqliteSearchStore(search, vectors),
    },
    {
      provide: SettingsStore,
      inject: [SQLITE_DATABASE],
      useFactory: (db: SqliteDatabase) => new SqliteSettingsStore(db),
    },
    {
      provide: ConflictStore,
      inject: [SQLITE_DATABASE],
      useFactory: (db: SqliteDatabase) => new SqliteConflictStore(db),
    },
    {
      provide: UsageStore,
      inject: [SQLITE_DATABASE],
      useFactory: (db: SqliteDatabase) => new SqliteUsageStore(db),
    },
    {
      provide: StoreLocks,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new StoreLocks(new SqliteLockRepository(lockFolderOf(config.storage.sqlitePath))),
    },
    {
      provide: RedisKeys,
      inject: [APP_CONFIG, SettingsStore],
      useFactory: async (config: AppConfig, settings: SettingsStore) =>
        new RedisKeys(config.redis.prefix ?? defaultRedisPrefix(await settings.storeId())),
    },
    {
      provide: McpCancellationStore,
      inject: [SQLITE_DATABASE],
      useFactory: (db: SqliteDatabase) => new SqliteMcpCancellationStore(db),
    },
    {
      provide: ApiKeyStore,
      inject: [SQLITE_DATABASE],
      useFactory: (db: SqliteDatabase) => new SqliteApiKeyStore(db),
    },
    {
      provide: OAuthStore,
      inject: [SQLITE_DATABASE],
      useFactory: (db: SqliteDatabase) => new SqliteOAuthStore(db),
    },
    {
      provide: StorageInfoRepository,
      inject: [SQLITE_DATABASE, APP_CONFIG],
      useFactory: (db: SqliteDatabase, config: AppConfig) => new StorageInfoRepository(db, config.storage.sqlitePath),
    },
  ],
  exports: [
    SQLITE_DATABASE,
    VectorIndex,
    MemoryStore,
    SearchStore,
    SettingsStore,
    StorageInfoRepository,
    UsageStore,
    ConflictStore,
    RedisKeys,
    StoreLocks,
    McpCancellationStore,
    ApiKeyStore,
    OAuthStore,
  ],
})
export class StorageModule implements OnApplicationShutdown {
  constructor(@Inject(SQLITE_DATABASE) private readonly db: SqliteDatabase) {}

  onApplicationShutdown(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * Lock files live beside the database they guard, on the volume every process of the deployment
 * shares; an in-memory database is private to its process, and so are its locks.
 */
export function lockFolderOf(sqlitePath: string): string {
  return sqlitePath === ':memory:' ? join(tmpdir(), `engram-locks-${process.pid}`) : `${sqlitePath}-locks`;
}
