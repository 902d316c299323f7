import { SwitchOutcome } from '../reindex/reindex-switch';
import { DatabaseSummary } from './database-snapshot';
import { SwapOutcome } from './database-swap';
import { runInSqliteThread } from './sqlite-file.tasks';

/**
 * Whole-file SQLite work, each run on a connection of its own in a worker thread: the calling
 * process's event loop (the api's, in the embedded mode) keeps answering meanwhile.
 */
export class SqliteFileRepository {
  copyLiveDatabase(livePath: string, destinationPath: string): Promise<void> {
    return runInSqliteThread('copyLiveDatabase', livePath, destinationPath);
  }

  /** Size and SHA-256 of a (large) file, hashed off the calling thread. */
  digest(path: string): Promise<{ bytes: number; sha256: string }> {
    return runInSqliteThread('fileDigest', path);
  }

  sealCopy(path: string): Promise<DatabaseSummary> {
    return runInSqliteThread('sealCopy', path);
  }

  summarise(path: string): Promise<DatabaseSummary> {
    return runInSqliteThread('summariseDatabase', path);
  }

  swapIn(livePath: string, sourcePath: string, pragmas: Record<string, string>): Promise<SwapOutcome> {
    return runInSqliteThread('swapInDatabase', livePath, sourcePath, pragmas);
  }

  switchToStagedVectors(livePath: string, pragmas: Record<string, string>): Promise<SwitchOutcome> {
    return runInSqliteThread('switchToStagedVectors', livePath, pragmas);
  }
}
