import { Migration } from '../migrations/migration';
import { PostgresDatabase } from './postgres.database';

/**
 * The PostgreSQL schema, numbered like SQLite's. Vectors need the model's dimension, so their table and
 * HNSW index are created when the model is bound (postgres-model.binding.ts), not here.
 */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'memories',
    sql: `
      CREATE TABLE memories (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        namespace    text   NOT NULL DEFAULT 'default',
        content_hash text   NOT NULL,
        content      text   NOT NULL,
        memory_type  text   NOT NULL,
        metadata     json   NOT NULL DEFAULT '{}',
        created_at   bigint NOT NULL, -- epoch milliseconds
        updated_at   bigint NOT NULL,
        deleted_at   bigint,
        -- English stemming, as SQLite's porter tokenizer does.
        keywords     tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED
      );
      -- Dedup is the database's rule too: racing stores of one text cannot both insert a live row.
      CREATE UNIQUE INDEX memories_live_hash ON memories (namespace, content_hash) WHERE deleted_at IS NULL;
      CREATE INDEX memories_live_created ON memories (namespace, created_at) WHERE deleted_at IS NULL;
      CREATE INDEX memories_live_type ON memories (namespace, memory_type, created_at) WHERE deleted_at IS NULL;
      CREATE INDEX memories_deleted ON memories (namespace, content_hash, deleted_at) WHERE deleted_at IS NOT NULL;
      CREATE INDEX memories_keywords ON memories USING gin (keywords) WHERE deleted_at IS NULL;

      CREATE TABLE memory_tags (
        memory_id bigint NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
        tag       text   NOT NULL,
        PRIMARY KEY (memory_id, tag)
      );
      CREATE INDEX memory_tags_by_tag ON memory_tags (tag, memory_id);

      CREATE TABLE settings (
        key   text PRIMARY KEY,
        value text NOT NULL
      );
    `,
  },
];

/** Any fixed number: every Engram replica takes this advisory lock to migrate, so one migrates at a time. */
const MIGRATION_LOCK = 0x656e6772; // "engr"

/**
 * Applies pending migrations, each in a transaction with its `schema_migrations` row, under a session
 * advisory lock: replicas starting together wait for the first one and then find nothing to do. A
 * database newer than this build is refused.
 */
export async function applyPostgresMigrations(
  db: PostgresDatabase,
  migrations: readonly Migration[] = POSTGRES_MIGRATIONS,
): Promise<number[]> {
  const client = await db.pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`,
    );
    const rows = (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows;
    const applied = new Set(rows.map((row) => row.version));
    const newest = Math.max(0, ...applied);
    const known = Math.max(0, ...migrations.map((migration) => migration.version));
    if (newest > known) {
      throw new Error(
        `The database schema is version ${newest}, newer than this Engram build knows (${known}); upgrade Engram`,
      );
    }
    const pending = [...migrations].sort((a, b) => a.version - b.version).filter((m) => !applied.has(m.version));
    for (const migration of pending) {
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          Date.now(),
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    }
    return pending.map((migration) => migration.version);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
}
