import { Provider } from '@nestjs/common';
import { SqliteFileRepository } from '../backups/sqlite-file.repository';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { PostgresDatabase } from '../storage/postgres/postgres.database';
import { isPostgresBackend, POSTGRES_DATABASE } from '../storage/postgres/postgres.token';
import { SqliteDatabase } from '../storage/sqlite.connection';
import { SQLITE_DATABASE } from '../storage/storage.module';
import { PostgresReindexStaging } from './postgres-reindex.staging';
import { ReindexStaging } from './reindex-staging';
import { SqliteReindexStaging } from './sqlite-reindex.staging';

/** The staging adapter of the configured backend; its database comes from whichever token provides it. */
export function reindexStagingFor(
  config: AppConfig,
  files: SqliteFileRepository,
  sqlite: SqliteDatabase | undefined,
  postgres: PostgresDatabase | undefined,
): ReindexStaging {
  if (isPostgresBackend(config.storage.backend)) {
    if (!postgres) throw new Error('The postgres backend is configured but no PostgreSQL database is provided');
    return new PostgresReindexStaging(postgres);
  }
  if (!sqlite) throw new Error('The SQLite backend is configured but no SQLite database is provided');
  return new SqliteReindexStaging(sqlite, files, { path: config.storage.sqlitePath, pragmas: config.storage.pragmas });
}

export const REINDEX_STAGING_PROVIDER: Provider = {
  provide: ReindexStaging,
  inject: [
    APP_CONFIG,
    SqliteFileRepository,
    { token: SQLITE_DATABASE, optional: true },
    { token: POSTGRES_DATABASE, optional: true },
  ],
  useFactory: reindexStagingFor,
};
