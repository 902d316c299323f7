import { Provider } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { PostgresDatabase } from '../storage/postgres/postgres.database';
import { isPostgresBackend, POSTGRES_DATABASE } from '../storage/postgres/postgres.token';
import { StorageInfoRepository } from '../storage/storage-info.repository';
import { BackupRepository } from './backup.repository';
import { DatabaseBackupTarget } from './database-backup.target';
import { PostgresBackupTarget } from './postgres-backup.target';
import { SqliteBackupTarget } from './sqlite-backup.target';
import { SqliteFileRepository } from './sqlite-file.repository';

/** The backup adapter of the configured backend; its database comes from whichever token provides it. */
export function databaseBackupTargetFor(
  config: AppConfig,
  sqlite: SqliteFileRepository,
  files: BackupRepository,
  storage: StorageInfoRepository | undefined,
  postgres: PostgresDatabase | undefined,
): DatabaseBackupTarget {
  if (isPostgresBackend(config.storage.backend)) {
    if (!postgres) throw new Error('The postgres backend is configured but no PostgreSQL database is provided');
    return new PostgresBackupTarget(postgres);
  }
  if (!storage) throw new Error('The SQLite backend is configured but its StorageInfoRepository is not provided');
  return new SqliteBackupTarget(sqlite, files, storage, config.storage.pragmas);
}

export const DATABASE_BACKUP_TARGET_PROVIDER: Provider = {
  provide: DatabaseBackupTarget,
  inject: [
    APP_CONFIG,
    SqliteFileRepository,
    BackupRepository,
    { token: StorageInfoRepository, optional: true },
    { token: POSTGRES_DATABASE, optional: true },
  ],
  useFactory: databaseBackupTargetFor,
};
