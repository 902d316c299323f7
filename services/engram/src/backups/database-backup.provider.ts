import { Provider } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { OpenedStores, STORES } from '../storage/storage.module';
import { DATABASE_AGENT_FILE_STORE } from '../storage/agent-file.store';
import { memoryLimitsWithEntries } from '../storage/agent-file.rules';
import { PostgresAgentFileStore } from '../storage/postgres/postgres-agent-file.store';
import { AgentFilesArchive, DatabaseAgentFilesArchive, FolderAgentFilesArchive } from './agent-files.archive';
import { BackupRepository } from './backup.repository';
import { DatabaseBackupTarget } from './database-backup.target';
import { PostgresBackupTarget } from './postgres-backup.target';
import { SqliteBackupTarget } from './sqlite-backup.target';
import { SqliteFileRepository } from '../storage/sqlite-file/sqlite-file.repository';

/** The backup adapter of the opened store's backend. */
export function databaseBackupTargetFor(
  config: AppConfig,
  sqlite: SqliteFileRepository,
  files: BackupRepository,
  stores: OpenedStores,
): DatabaseBackupTarget {
  if (stores.backend === 'postgres') return new PostgresBackupTarget(stores.db);
  return new SqliteBackupTarget(sqlite, files, stores.info, config.storage.sqlitePath, config.storage.pragmas);
}

export const DATABASE_BACKUP_TARGET_PROVIDER: Provider = {
  provide: DatabaseBackupTarget,
  inject: [APP_CONFIG, SqliteFileRepository, BackupRepository, STORES],
  useFactory: databaseBackupTargetFor,
};

/** Where the agent's memory files are archived from and restored to: the database's store, or MEMORY_DIR. */
export const AGENT_FILES_ARCHIVE_PROVIDER: Provider = {
  provide: AgentFilesArchive,
  inject: [APP_CONFIG, BackupRepository, { token: DATABASE_AGENT_FILE_STORE, optional: true }],
  useFactory: (config: AppConfig, files: BackupRepository, inDatabase?: PostgresAgentFileStore): AgentFilesArchive =>
    inDatabase
      ? new DatabaseAgentFilesArchive(inDatabase, files)
      : new FolderAgentFilesArchive(files, config.memoryDir, memoryLimitsWithEntries(config.memoryMaxEntries)),
};
