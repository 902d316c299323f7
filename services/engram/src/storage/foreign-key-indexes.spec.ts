import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { startTestPostgres, TestPostgres } from '../testing/postgres-test-server';
import { applyMigrations } from './migrator';
import { MIGRATIONS } from './migrations';
import { PostgresDatabase } from './postgres/postgres.database';
import { applyPostgresMigrations } from './postgres/postgres.migrations';

/**
 * Deleting a parent row makes the database look for the rows pointing at it, once per deleted row: with no
 * index leading with the child column, that is a scan of the child table. `memories.supersedes` points back
 * at `memories`, so without its index a restore (which empties the table) or a purge scanned every memory
 * for every memory it deleted.
 */
describe('every foreign key has an index behind its child column', () => {
  it('SQLite', () => {
    const db = new Database(':memory:');
    applyMigrations(db, MIGRATIONS);
    const unindexed: string[] = [];
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'")
      .pluck()
      .all() as string[];
    for (const table of tables) {
      const keys = db.prepare('SELECT "from" FROM pragma_foreign_key_list(?) WHERE seq = 0').pluck().all(table);
      for (const column of keys as string[]) {
        if (!leadsAnIndex(db, table, column)) unindexed.push(`${table}.${column}`);
      }
    }
    assert.deepEqual(unindexed, []);
    db.close();
  });

  describe('PostgreSQL', () => {
    let server: TestPostgres;
    before(async () => {
      server = await startTestPostgres();
    });
    after(() => server.close());

    it('PostgreSQL', async () => {
      const db = new PostgresDatabase({ url: server.url, poolSize: 1, statementTimeoutMs: 30_000 });
      try {
        await db.query('CREATE EXTENSION IF NOT EXISTS vector');
        await applyPostgresMigrations(db);
        const unindexed = await db.query<{ key: string }>(
          `SELECT c.conrelid::regclass::text || '.' || a.attname AS key
             FROM pg_constraint c
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            WHERE c.contype = 'f'
              AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])
            ORDER BY 1`,
        );
        assert.deepEqual(
          unindexed.map((row) => row.key),
          [],
        );
      } finally {
        await db.close();
      }
    });
  });
});

/** The column is the rowid, or the first column of an index (a partial one only if it admits every non-null value). */
function leadsAnIndex(db: Database.Database, table: string, column: string): boolean {
  const rowid = db
    .prepare("SELECT 1 FROM pragma_table_info(?) WHERE name = ? AND pk = 1 AND upper(type) = 'INTEGER'")
    .get(table, column);
  if (rowid !== undefined) return true;
  const indexes = db.prepare('SELECT name, partial FROM pragma_index_list(?)').all(table) as {
    name: string;
    partial: number;
  }[];
  return indexes.some(({ name, partial }) => {
    const first = db.prepare('SELECT name FROM pragma_index_info(?) WHERE seqno = 0').pluck().get(name);
    if (first !== column) return false;
    if (!partial) return true;
    const sql = db.prepare('SELECT sql FROM sqlite_master WHERE name = ?').pluck().get(name) as string;
    return new RegExp(`WHERE\\s+${column}\\s+IS\\s+NOT\\s+NULL\\s*$`, 'i').test(sql);
  });
}
