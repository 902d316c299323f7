import { BackupLeftover } from './backup-leftovers';
import { BackupFormat } from './backup-manifest';
import { DatabaseSummary } from '../storage/sqlite-file/database-snapshot';
import { SwapOutcome } from '../storage/sqlite-file/database-swap';

/**
 * The database side of backups, one adapter per storage backend, so BackupService (what a backup
 * holds, how it is verified, the restore order) stays the same for both: SQLite copies the database
 * file; PostgreSQL writes Engram's portable export (its own dumps belong to pg_dump or the operator).
 */
export abstract class DatabaseBackupTarget {
  /** What this backend's backups hold; a restore refuses backups of the other format. */
  abstract readonly format: BackupFormat;
  /** The data file's name inside a backup folder. */
  abstract readonly dataFile: string;
  /** Writes a consistent copy of the live database to `path` and summarises what was written. */
  abstract writeCopy(path: string): Promise<DatabaseSummary>;
  /** Integrity and contents of a backup's data file, read from the file itself. */
  abstract summarise(path: string): Promise<DatabaseSummary>;
  /** The live database's schema version: a backup from a newer one is refused. */
  abstract schemaVersion(): Promise<number>;
  /**
   * Replaces the live contents with the data file's in one transaction: all of it, or nothing. The
   * contents replaced are written to `keepCurrentAt` first, in the same transaction, with writers held
   * off until the commit: no acknowledged write falls between that copy and the swap.
   */
  abstract restore(path: string, keepCurrentAt: string): Promise<SwapOutcome>;
  /** What a restore cut short left of its data side (none where it reads the backup in place). */
  abstract leftovers(): Promise<BackupLeftover[]>;
}
