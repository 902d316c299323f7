import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/config.types';
import { DatabaseSummary } from './database-snapshot';
import { SwapOutcome } from './database-swap';
import { SwitchOutcome } from './reindex-switch';
import { runInSqliteThread } from './sqlite-file.tasks';

/**
 * Whole-file SQLite work, each run on a connection of its own in a worker thread: the calling
 * process's event loop (the api's, in the embedded mode) keeps answering meanwhile. Every connection
 * gets the database key (ENGRAM_DB_ENCRYPTION_KEY), so copies of an encrypted store stay encrypted.
 */
@Injectable()
export class SqliteFileRepository {
  private readonly key: string | undefined;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.key = config.storage.encryptionKey;
  }

  copyLiveDatabase(livePath: string, destinationPath: string): Promise<void> {
    return runInSqliteThread('copyLiveDatabase', livePath, destinationPath, this.key);
  }

  sealCopy(path: string): Promise<DatabaseSummary> {
    return runInSqliteThread('sealCopy', path, this.key);
  }

  summarise(path: string): Promise<DatabaseSummary> {
    return runInSqliteThread('summariseDatabase', path, this.key);
  }

  swapIn(
    livePath: string,
    sourcePath: string,
    keepCurrentAt: string,
    pragmas: Record<string, string>,
  ): Promise<SwapOutcome> {
    return runInSqliteThread('swapInDatabase', livePath, sourcePath, keepCurrentAt, pragmas, this.key);
  }

  switchToStagedVectors(livePath: string, pragmas: Record<string, string>): Promise<SwitchOutcome> {
    return runInSqliteThread('switchToStagedVectors', livePath, pragmas, this.key);
  }
}
