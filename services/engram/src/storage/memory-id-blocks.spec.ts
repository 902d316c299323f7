import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';
import { namespaceFullText } from '../testing/namespace-full-text';
import { makeTempDir } from '../testing/test-app';
import { bindEmbeddingModel } from './embedding-model.binding';
import { NewMemory } from './memory.record';
import { MemoryRepository } from './memory.repository';
import { MemoryFilter, memoryFilterSql, SqlFragment } from './memory-filter.sql';
import { idRangesSql, inRanges, joinNearest, MemoryIdBlocks } from './memory-id-blocks';
import { applyMigrations } from './migrator';
import { MIGRATIONS } from './migrations';
import { RECENT_MATCHES_RANKED } from './search.store';
import { SqliteKeywordRanking } from './sqlite-keyword-ranking';
import { openSqliteDatabase, SqliteDatabase } from './sqlite.connection';
import { VectorIndex } from './vector-index';

const DAY = 86_400_000;
const NAMESPACES = ['default', 'team', 'tiny'];

describe('joinNearest and idRangesSql', () => {
  it('joins ranges across the smallest gaps and keeps the rest apart', () => {
    const ranges = [
      { from: 0, to: 9 },
      { from: 100, to: 109 },
      { from: 112, to: 120 },
      { from: 500, to: 510 },
      { from: 515, to: 600 },
    ];
    assert.deepEqual(joinNearest(ranges, 5), ranges);
    assert.deepEqual(joinNearest(ranges, 3), [
      { from: 0, to: 9 },
      { from: 100, to: 120 },
      { from: 500, to: 600 },
    ]);
    assert.deepEqual(joinNearest(ranges, 1), [{ from: 0, to: 600 }]);
    assert.deepEqual(ranges[1], { from: 100, to: 109 }, 'the input is left as it was');
  });

  it('bounds the column by the hull, and checks each range only when there are several', () => {
    assert.deepEqual(idRangesSql('x', [{ from: 5, to: 9 }]), {
      sql: 'x BETWEEN CAST(? AS INTEGER) AND CAST(? AS INTEGER)',
      params: [5, 9],
    });
    const two = idRangesSql('x', [
      { from: 5, to: 9 },
      { from: 20, to: 29 },
    ]);
    assert.equal(
      two.sql,
      'x BETWEEN CAST(? AS INTEGER) AND CAST(? AS INTEGER) AND (+x BETWEEN ? AND ? OR +x BETWEEN ? AND ?)',
    );
    assert.deepEqual(two.params, [5, 29, 5, 9, 20, 29]);
  });

  it('tells whether an id lies in the ranges, both ends included', () => {
    const ranges = [
      { from: 5, to: 9 },
      { from: 20, to: 29 },
    ];
    assert.deepEqual(
      [4, 5, 9, 10, 19, 20, 29, 30].map((id) => inRanges(ranges, id)),
      [false, true, true, false, false, true, true, false],
    );
    assert.equal(inRanges([], 5), false);
  });
});

describe('memory id blocks (real SQLite)', () => {
  const dir = makeTempDir();
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('are filled for a store that had memories before the migration, and follow inserts and edits', () => {
    const path = join(dir, 'upgraded.db');
    const old = new Database(path);
    applyMigrations(
      old,
      MIGRATIONS.filter((migration) => migration.version < 24),
    );
    const insert = old.prepare(
      `INSERT INTO memories (id, namespace, content_hash, content, memory_type, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'note', ?, ?)`,
    );
    insert.run(5, 'default', 'a', 'first', 1_000, 1_000);
    insert.run(1030, 'default', 'b', 'second', 3_000, 3_000);
    insert.run(1031, 'default', 'c', 'third', 2_000, 2_000);
    insert.run(1032, 'team', 'd', 'fourth', 9_000, 9_000);
    applyMigrations(old, MIGRATIONS);
    const blocks = () => old.prepare('SELECT * FROM memory_id_blocks ORDER BY namespace, block').all();
    assert.deepEqual(blocks(), [
      { namespace: 'default', block: 0, oldest_created: 1_000, newest_created: 1_000 },
      { namespace: 'default', block: 1, oldest_created: 2_000, newest_created: 3_000 },
      { namespace: 'team', block: 1, oldest_created: 9_000, newest_created: 9_000 },
    ]);

    insert.run(2100, 'team', 'e', 'fifth', 500, 500);
    old.prepare('UPDATE memories SET created_at = 100 WHERE id = 5').run();
    old.prepare("UPDATE memories SET namespace = 'team' WHERE id = 1031").run();
    old.prepare('UPDATE memories SET content = ? WHERE id = 1030').run('edited'); // no time or namespace change
    assert.deepEqual(blocks(), [
      { namespace: 'default', block: 0, oldest_created: 100, newest_created: 1_000 },
      { namespace: 'default', block: 1, oldest_created: 2_000, newest_created: 3_000 },
      { namespace: 'team', block: 1, oldest_created: 2_000, newest_created: 9_000 },
      { namespace: 'team', block: 2, oldest_created: 500, newest_created: 500 },
    ]);
    old.close();

    const db = openSqliteDatabase(path, DEFAULT_PRAGMAS);
    const ids = new MemoryIdBlocks(db);
    assert.deepEqual(ids.ranges({ namespace: 'default' }), [{ from: 0, to: 2047 }]);
    assert.deepEqual(ids.ranges({ namespace: 'team', createdFromMs: 400, createdBeforeMs: 600 }), [
      { from: 2048, to: 3071 },
    ]);
    assert.deepEqual(ids.ranges({ namespace: 'default', createdFromMs: 5_000 }), []);
    assert.deepEqual(ids.ranges({ namespace: 'nobody' }), []);
    db.close();
  });
});

describe('keyword candidates walking only the id ranges a filter can hold (real SQLite)', () => {
  const dir = makeTempDir();
  let db: SqliteDatabase;
  const MEMORIES = 9_000;
  const now = Date.UTC(2026, 0, 1);

  before(() => {
    const path = join(dir, 'engram.db');
    db = openSqliteDatabase(path, DEFAULT_PRAGMAS);
    bindEmbeddingModel(db, path, { modelId: 'test-8', dimension: 8 });
    const vectors = new VectorIndex(db);
    const memories = new MemoryRepository(db, vectors);
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const words = ['garden', 'river', 'meeting', 'budget', 'travel', 'coffee'];
    const rows: NewMemory[] = [];
    for (let i = 0; i < MEMORIES; i++) {
      // Namespaces written in bursts, so each holds scattered runs of blocks; "tiny" only a few.
      const burst = Math.floor(i / 700) % 3;
      const namespace = burst === 2 && i % 50 !== 0 ? 'default' : NAMESPACES[burst];
      // Creation time follows insertion, but one burst is an import of year-old memories.
      const imported = i >= 4_000 && i < 4_800;
      const createdAt = imported ? now - 400 * DAY + i * 1000 : now - (MEMORIES - i) * 3_600_000;
      const content = `${words[Math.floor(random() * 6)]} ${words[Math.floor(random() * 6)]} note ${i}`;
      rows.push({
        namespace,
        contentHash: `h${i}`,
        content: i % 97 === 0 ? `${content} budget budget` : content,
        memoryType: i % 3 === 0 ? 'fact' : 'note',
        metadata: {},
        tags: [random() < 0.3 ? 'work' : 'home'],
        createdAt,
        updatedAt: createdAt,
        embedding: Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8),
      });
    }
    for (let start = 0; start < rows.length; start += 1000) memories.insertMany(rows.slice(start, start + 1000));
    // Edits after the fact: some memories moved far back or forward in time.
    const edit = db.prepare('UPDATE memories SET created_at = ? WHERE id = ?');
    for (let id = 17; id <= MEMORIES; id += 211) edit.run(random() < 0.5 ? now - 900 * DAY : now + DAY, id);
  });
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * The definition: the RECENT_MATCHES_RANKED newest admitted matches, no ranges involved, by bm25() over
   * the namespace's memories alone.
   */
  function newestRanked(terms: string[], filter: MemoryFilter, k: number) {
    const where = memoryFilterSql(filter);
    const fts = namespaceFullText(db, filter.namespace);
    return db
      .prepare(
        `SELECT id, bm25 FROM (
           SELECT m.id AS id, -bm25(${fts}) AS bm25 FROM ${fts} CROSS JOIN memories m ON m.id = ${fts}.rowid
           WHERE ${fts} MATCH ? AND ${where.sql} ORDER BY ${fts}.rowid DESC LIMIT ?
         ) ORDER BY bm25 DESC, id DESC LIMIT ?`,
      )
      .all(terms.map((term) => `"${term}"`).join(' OR '), ...where.params, RECENT_MATCHES_RANKED, k) as {
      id: number;
      bm25: number;
    }[];
  }

  it("hands FTS5 the hull as its walk's bounds: it yields no match outside them", () => {
    // A function in the WHERE clause ahead of the rowid check counts the rows FTS5 itself yields.
    let yielded = 0;
    db.function('yielded', { deterministic: false }, () => ++yielded);
    const ranges = [{ from: 2_001, to: 3_000 }];
    const inRanges = idRangesSql('rowid', ranges);
    const walk = (bounds: SqlFragment) => {
      yielded = 0;
      const rows = db
        .prepare(`SELECT count(*) FROM memories_fts WHERE memories_fts MATCH '"note"' AND yielded() AND ${bounds.sql}`)
        .pluck()
        .get(...bounds.params) as number;
      return { rows, yielded };
    };
    assert.deepEqual(walk(inRanges), { rows: 1_000, yielded: 1_000 });
    // The same bounds bound as JavaScript numbers (REAL) without the cast: FTS5 walks every match.
    const uncast = { sql: 'rowid BETWEEN ? AND ?', params: [2_001, 3_000] };
    assert.deepEqual(walk(uncast), { rows: 1_000, yielded: MEMORIES });
  });

  it('finds exactly what a walk of every match finds, for random filters, with either scoring', () => {
    const rankings = [new SqliteKeywordRanking(db), new SqliteKeywordRanking(db, { idfWalkMaxRows: 0 })];
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    let narrowed = 0;
    for (let round = 0; round < 60; round++) {
      const from = random() < 0.8 ? now - Math.floor(random() * 500) * DAY : undefined;
      const filter: MemoryFilter = {
        namespace: NAMESPACES[Math.floor(random() * 3)],
        createdFromMs: from,
        createdBeforeMs: random() < 0.5 ? (from ?? now - 200 * DAY) + Math.floor(random() * 100) * DAY : undefined,
        tags: random() < 0.3 ? ['work'] : undefined,
        memoryType: random() < 0.2 ? 'fact' : undefined,
      };
      // One term, or two that are common in the namespace: with a rare term (under COMMON_TERM_ROWS in the
      // namespace) only its holders are ranked, and "the newest matches" would no longer be the definition.
      const single = [['budget'], ['note'], ['garden']][Math.floor(random() * 3)];
      const terms = filter.namespace === 'default' && random() < 0.5 ? ['garden', 'river'] : single;
      const expected = newestRanked(terms, filter, 25);
      for (const ranking of rankings) {
        const hits = ranking.candidates(terms, filter, 25);
        assert.deepEqual(
          hits.map((hit) => hit.id),
          expected.map((hit) => hit.id),
          `${terms} in ${JSON.stringify(filter)}`,
        );
        for (const [i, hit] of hits.entries()) assert.ok(Math.abs(hit.bm25 - expected[i].bm25) < 1e-9);
      }
      const ranges = new MemoryIdBlocks(db).ranges(filter);
      if (ranges.length > 1 || (ranges[0] && ranges[0].to - ranges[0].from < MEMORIES)) narrowed++;
    }
    assert.ok(narrowed >= 30, `the ranges narrowed the walk in ${narrowed} of 60 searches`);
  });
});
