import { PostgresDatabase } from '../storage/postgres/postgres.database';
import { applyPostgresMigrations, POSTGRES_MIGRATIONS } from '../storage/postgres/postgres.migrations';

/**
 * A database at `url` migrated up to, not including, migration `version`: the store an upgrade spec fills as
 * an older build left it, before applying the rest. The caller closes it.
 */
export async function postgresBeforeMigration(url: string, version: number): Promise<PostgresDatabase> {
  const db = new PostgresDatabase({ url, poolSize: 2, statementTimeoutMs: 30_000 });
  await db.query('CREATE EXTENSION IF NOT EXISTS vector');
  await applyPostgresMigrations(
    db,
    POSTGRES_MIGRATIONS.filter((migration) => migration.version < version),
  );
  return db;
}
