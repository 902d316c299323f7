import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { postgresBeforeMigration } from '../testing/postgres-before-migration';
import { startTestPostgres, TestPostgres } from '../testing/postgres-test-server';
import { makeTempDir } from '../testing/test-app';
import { applyMigrations } from './migrator';
import { MIGRATIONS } from './migrations';
import { applyPostgresMigrations } from './postgres/postgres.migrations';

/** Memories written before the upgrade: one superseded (by the next), one deleted, two namespaces. */
const MEMORIES = [
  { id: 1, namespace: 'default', type: 'note', tags: ['a', 'b'], supersededBy: null, deleted: false },
  { id: 2, namespace: 'default', type: 'decision', tags: ['a'], supersededBy: 3, deleted: false },
  { id: 3, namespace: 'default', type: 'decision', tags: ['a'], supersededBy: null, deleted: false },
  { id: 4, namespace: 'default', type: 'note', tags: ['b'], supersededBy: null, deleted: true },
  { id: 5, namespace: 'team', type: 'decision', tags: ['a'], supersededBy: null, deleted: false },
];

/** The current tallies the fixture's memories make, counted here: `namespace facet key n`, sorted. */
function expectedCurrentTallies(): string[] {
  const counts = new Map<string, number>();
  const add = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  for (const memory of MEMORIES.filter((m) => !m.deleted && m.supersededBy === null)) {
    add(`${memory.namespace} current_type ${memory.type}`);
    for (const tag of memory.tags) add(`${memory.namespace} current_tag ${tag}`);
  }
  return [...counts].map(([key, n]) => `${key} ${n}`).sort();
}

const TALLIES = 'SELECT namespace, facet, key, n FROM memory_tallies';
const READ_CURRENT = `SELECT namespace, facet, key, sum(n) AS n FROM (%TABLES%) t
  WHERE facet IN ('current_type', 'current_tag') GROUP BY namespace, facet, key HAVING sum(n) <> 0`;

const asLines = (rows: { namespace: string; facet: string; key: string; n: number | string }[]) =>
  rows.map((row) => `${row.namespace} ${row.facet} ${row.key} ${Number(row.n)}`).sort();

/** The current tallies (SQLite migration 035, PostgreSQL 27) are counted from the memories already stored. */
describe('current tallies on upgrade', () => {
  it('SQLite counts the current memories of each type and tag stored before migration 035', () => {
    const dir = makeTempDir();
    try {
      const db = new Database(join(dir, 'old.db'));
      applyMigrations(
        db,
        MIGRATIONS.filter((migration) => migration.version < 35),
      );
      for (const m of MEMORIES) {
        db.prepare(
          `INSERT INTO memories (id, namespace, content_hash, content, memory_type, created_at, updated_at, deleted_at)
           VALUES (?, ?, ?, ?, ?, 0, 0, ?)`,
        ).run(m.id, m.namespace, `h${m.id}`, `c${m.id}`, m.type, m.deleted ? 1 : null);
        for (const tag of m.tags) {
          db.prepare(
            'INSERT INTO memory_tags (memory_id, tag, namespace, created_at, deleted_at) VALUES (?, ?, ?, 0, ?)',
          ).run(m.id, tag, m.namespace, m.deleted ? 1 : null);
        }
      }
      for (const m of MEMORIES.filter((memory) => memory.supersededBy !== null)) {
        db.prepare('UPDATE memories SET superseded_by = ? WHERE id = ?').run(m.supersededBy, m.id);
      }
      applyMigrations(db, MIGRATIONS);
      const rows = db.prepare(READ_CURRENT.replace('%TABLES%', TALLIES)).all();
      assert.deepEqual(asLines(rows as Parameters<typeof asLines>[0]), expectedCurrentTallies());
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('PostgreSQL', () => {
    let server: TestPostgres;
    before(async () => {
      server = await startTestPostgres();
    });
    after(() => server.close());

    it('counts the current memories of each type and tag stored before migration 27', async () => {
      const db = await postgresBeforeMigration(server.url, 27);
      try {
        for (const m of MEMORIES) {
          await db.query(
            `INSERT INTO memories (id, namespace, content_hash, content, memory_type, created_at, updated_at, deleted_at)
             OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, 0, 0, $6)`,
            [m.id, m.namespace, `h${m.id}`, `c${m.id}`, m.type, m.deleted ? 1 : null],
          );
          await db.query(
            `INSERT INTO memory_tags (memory_id, tag, namespace, created_at, deleted_at)
             SELECT $1, tag, $2, 0, $3 FROM unnest($4::text[]) AS tag`,
            [m.id, m.namespace, m.deleted ? 1 : null, m.tags],
          );
        }
        for (const m of MEMORIES.filter((memory) => memory.supersededBy !== null)) {
          await db.query('UPDATE memories SET superseded_by = $1 WHERE id = $2', [m.supersededBy, m.id]);
        }
        await applyPostgresMigrations(db);
        const rows = await db.query<Parameters<typeof asLines>[0][number]>(
          READ_CURRENT.replace(
            '%TABLES%',
            `${TALLIES} UNION ALL SELECT namespace, facet, key, n FROM memory_tally_changes`,
          ),
        );
        assert.deepEqual(asLines(rows), expectedCurrentTallies());
      } finally {
        await db.close();
      }
    });
  });
});
