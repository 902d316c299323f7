import { statSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { PreparedStatements } from '../prepared-statements';
import { SqliteDatabase } from '../sqlite.connection';
import { StorageInfoRepository, StorageVersions } from '../storage-info.repository';

/** The database file and the volume it lives on. */
export class SqliteStorageInfo extends StorageInfoRepository {
  readonly backend = 'sqlite_vec' as const;
  private readonly statements: PreparedStatements;

  constructor(
    private readonly db: SqliteDatabase,
    readonly databasePath: string,
  ) {
    super();
    this.statements = new PreparedStatements(db);
  }

  async sizeBytes(): Promise<number> {
    if (this.databasePath === ':memory:') return 0;
    return fileSize(this.databasePath) + fileSize(`${this.databasePath}-wal`);
  }

  freeDiskBytes(): number {
    const stats = statfsSync(this.folder());
    return stats.bavail * stats.bsize;
  }

  diskSizeBytes(): number {
    const stats = statfsSync(this.folder());
    return stats.blocks * stats.bsize;
  }

  /** Takes and releases the write lock without writing. */
  async checkWritable(): Promise<void> {
    this.db.exec('BEGIN IMMEDIATE');
    this.db.exec('ROLLBACK');
  }

  async versions(): Promise<StorageVersions> {
    return {
      sqlite: this.statements.get('SELECT sqlite_version()').pluck().get() as string,
      sqliteVec: this.statements.get('SELECT vec_version()').pluck().get() as string,
      schema: this.statements.get('SELECT max(version) FROM schema_migrations').pluck().get() as number,
    };
  }

  private folder(): string {
    return this.databasePath === ':memory:' ? '.' : dirname(this.databasePath);
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
