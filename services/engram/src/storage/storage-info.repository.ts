import { StorageBackend } from '../config/config.types';

/** Engine versions and the schema revision, for the status report and backups. */
export type StorageVersions =
  { sqlite: string; sqliteVec: string; schema: number } | { postgres: string; pgvector: string; schema: number };

/**
 * The storage port for facts about the store and its disk, for health checks, stats and metrics. Disk
 * figures exist only where this process sees the store's volume (SQLite); a database server's disk is
 * its operator's to watch.
 */
export abstract class StorageInfoRepository {
  abstract readonly backend: StorageBackend;
  /** The SQLite file (whole-file backups and swaps work on it); undefined on a database server. */
  abstract readonly databasePath: string | undefined;
  /** Bytes the store occupies: the SQLite file and its write-ahead log, or the PostgreSQL database. */
  abstract sizeBytes(): Promise<number>;
  /** Free bytes on the volume holding the store, as an unprivileged process sees them; undefined when unseen. */
  abstract freeDiskBytes(): number | undefined;
  /** Size of the volume holding the store; undefined when unseen. */
  abstract diskSizeBytes(): number | undefined;
  /** Proves the store accepts writes right now, without writing; throws when it does not. */
  abstract checkWritable(): Promise<void>;
  abstract versions(): Promise<StorageVersions>;
}
