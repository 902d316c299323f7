import { Provider } from '@nestjs/common';
import { SqliteFileRepository } from '../storage/sqlite-file/sqlite-file.repository';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { OpenedStores, STORES } from '../storage/storage.module';
import { PostgresReindexStaging } from './postgres-reindex.staging';
import { ReindexStaging } from './reindex-staging';
import { SqliteReindexStaging } from './sqlite-reindex.staging';

/** The staging adapter of the opened store's backend. */
export function reindexStagingFor(
  config: AppConfig,
  files: SqliteFileRepository,
  stores: OpenedStores,
): ReindexStaging {
  if (stores.backend === 'postgres') return new PostgresReindexStaging(stores.db);
  return new SqliteReindexStaging(stores.db, files, {
    path: config.storage.sqlitePath,
    pragmas: config.storage.pragmas,
  });
}

export const REINDEX_STAGING_PROVIDER: Provider = {
  provide: ReindexStaging,
  inject: [APP_CONFIG, SqliteFileRepository, STORES],
  useFactory: reindexStagingFor,
};
