import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { EMBEDDER, Embedder } from '../embeddings/embedder';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { bindEmbeddingModel, ModelMismatchPolicy } from './embedding-model.binding';
import { MemoryRepository } from './memory.repository';
import { SearchRepository } from './search.repository';
import { SettingsRepository } from './settings.repository';
import { openSqliteDatabase, SqliteDatabase } from './sqlite.connection';
import { StorageInfoRepository } from './storage-info.repository';
import { ConflictRepository } from './conflict.repository';
import { UsageRepository } from './usage.repository';
import { VectorIndex } from './vector-index';

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
        const db = openSqliteDatabase(config.storage.sqlitePath, config.storage.pragmas);
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
      provide: SettingsRepository,
      inject: [SQLITE_DATABASE],
      useFactory: (db: SqliteDatabase) => new SettingsRepository(db),
    },
    {
      provide: ConflictRepository,
      inject: [SQLITE_DATABASE],
      useFactory: (db: SqliteDatabase) => new ConflictRepository(db),
    },
    {
      provide: UsageRepository,
      inject: [SQLITE_DATABASE],
      useFactory: (db: SqliteDatabase) => new UsageRepository(db),
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
    MemoryRepository,
    SearchRepository,
    SettingsRepository,
    StorageInfoRepository,
    UsageRepository,
    ConflictRepository,
  ],
})
export class StorageModule implements OnApplicationShutdown {
  constructor(@Inject(SQLITE_DATABASE) private readonly db: SqliteDatabase) {}

  onApplicationShutdown(): void {
    if (this.db.open) this.db.close();
  }
}
