import { StorageInfoRepository } from '../storage/storage-info.repository';
import { BackupLeftover } from './backup-leftovers';
import { BackupFormat, DATABASE_FILE } from './backup-manifest';
import { BackupRepository } from './backup.repository';
import { DatabaseBackupTarget } from './database-backup.target';
import { DatabaseSummary } from '../storage/sqlite-file/database-snapshot';
import { SwapOutcome } from '../storage/sqlite-file/database-swap';
import { SqliteFileRepository } from '../storage/sqlite-file/sqlite-file.repository';

/** Backups of a SQLite store: a sealed copy of the database file, swapped back in by copying rows. */
export class SqliteBackupTarget extends DatabaseBackupTarget {
  readonly format: BackupFormat = 'sqlite';
  readonly dataFile = DATABASE_FILE;

  constructor(
    private readonly sqlite: SqliteFileRepository,
    private readonly files: BackupRepository,
    private readonly storage: StorageInfoRepository,
    /** The live database file. */
    private readonly livePath: string,
    private readonly pragmas: Record<string, string>,
  ) {
    super();
  }

  async writeCopy(path: string): Promise<DatabaseSummary> {
    await this.sqlite.copyLiveDatabase(this.livePath, path);
    return this.sqlite.sealCopy(path);
  }

  summarise(path: string): Promise<DatabaseSummary> {
    return this.sqlite.summarise(path);
  }

  async schemaVersion(): Promise<number> {
    return (await this.storage.versions()).schema;
  }

  /** The backup file is copied beside the live database first: the swap migrates its copy, never the backup. */
  async restore(path: string, keepCurrentAt: string): Promise<SwapOutcome> {
    const scratch = await this.files.scratchCopy(path, this.livePath);
    try {
      return await this.sqlite.swapIn(this.livePath, scratch, keepCurrentAt, this.pragmas);
    } finally {
      await this.files.removeFile(scratch);
    }
  }

  /** The scratch copies a restore killed part-way left beside the live database, each the size of a backup. */
  leftovers(): Promise<BackupLeftover[]> {
    return this.files.scratchLeftovers(this.livePath);
  }
}
