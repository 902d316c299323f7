import { statSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { PreparedStatements } from './prepared-statements';
import { SqliteDatabase } from './sqlite.connection';

/** Facts about the database and its disk, for health checks, stats and metrics. */
export class StorageInfoRepository {
  private readonly statements: PreparedStatements;

  constructor(
    private readonly db: SqliteDatabase,
    readonly databasePath: string,
  ) {
    this.statements = new PreparedStatements(db);
  }

  /** Size of the database file plus its write-ahead log, in bytes. */
  sizeBytes(): number {
    if (this.databasePath === ':memory:') return 0;
    return fileSize(this.databasePath) + fileSize(`${this.databasePath}-wal`);
  }

  /** Free bytes on the volume holding the database, as seen by an unprivileged process. */
  freeDiskBytes(): number {
    const stats = statfsSync(this.databasePath === ':memory:' ? '.' : dirname(this.databasePath));
    return stats.bavail * stats.bsize;
  }

  /** Size of the volume holding the database, in bytes. */
  diskSizeBytes(): number {
    const stats = statfsSync(this.databasePath === ':memory:' ? '.' : dirname(this.databasePath));
    return stats.blocks * stats.bsize;
  }

  /** Takes and releases the write lock without writing: proves the file accepts writes right now. */
  checkWritable(): void {
    this.db.exec('BEGIN IMMEDIATE');
    this.db.exec('ROLLBACK');
  }

  versions(): { sqlite: string; sqliteVec: string; schema: number } {
    return {
      sqlite: this.statements.get('SELECT sqlite_version()').pluck().get() as string,
      sqliteVec: this.statements.get('SELECT vec_version()').pluck().get() as string,
      schema: this.statements.get('SELECT max(version) FROM schema_migrations').pluck().get() as number,
    };
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
