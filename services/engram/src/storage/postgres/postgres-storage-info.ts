import { StorageInfoRepository, StorageVersions } from '../storage-info.repository';
import { PostgresDatabase } from './postgres.database';

/** The PostgreSQL database as this process sees it: its size and versions, never the server's disk. */
export class PostgresStorageInfo extends StorageInfoRepository {
  readonly backend = 'postgres' as const;
  readonly databasePath = undefined;

  constructor(private readonly db: PostgresDatabase) {
    super();
  }

  async sizeBytes(): Promise<number> {
    const [row] = await this.db.query<{ bytes: number }>('SELECT pg_database_size(current_database()) AS bytes');
    return row.bytes;
  }

  freeDiskBytes(): undefined {
    return undefined;
  }

  diskSizeBytes(): undefined {
    return undefined;
  }

  /** A primary accepts writes; a hot standby (or a read-only transaction default) does not. */
  async checkWritable(): Promise<void> {
    const [row] = await this.db.query<{ recovery: boolean; readOnly: string }>(
      'SELECT pg_is_in_recovery() AS recovery, current_setting(\'default_transaction_read_only\') AS "readOnly"',
    );
    if (row.recovery) throw new Error('the server is a read-only standby');
    if (row.readOnly === 'on') throw new Error('default_transaction_read_only is on');
  }

  async versions(): Promise<StorageVersions> {
    const [row] = await this.db.query<{ postgres: string; pgvector: string; schema: number }>(
      `SELECT current_setting('server_version') AS postgres,
              (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS pgvector,
              (SELECT max(version) FROM schema_migrations) AS schema`,
    );
    return { postgres: row.postgres, pgvector: row.pgvector, schema: row.schema };
  }
}
