import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';
import { makeTempDir } from '../testing/test-app';
import { bindEmbeddingModel } from './embedding-model.binding';
import { NewMemory } from './memory.record';
import { MemoryRepository } from './memory.repository';
import { admittedIdsSql } from './admitted-nearest';
import { MemoryFilter, memoryFilterSql, PROBED_MEMORIES } from './memory-filter.sql';
import { fullTextWalkWhere } from './sqlite-newest-holders';
import { SearchRepository } from './search.repository';
import { ADJACENT_ID_REACH } from './search.store';
import { openSqliteDatabase, SqliteDatabase } from './sqlite.connection';
import { VectorIndex } from './vector-index';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 1);
const MEMORIES = 3_000;
const TAGS = ['work', 'home', 'travel'];

/**
 * Candidate ids checked against a filter through the filter-probe index (migration 025) admit exactly
 * what the filter's scan over the table admits, and the probe reads the index alone, never a row.
 */
describe('filter probes through the filter-probe index (real SQLite)', () => {
  const dir = makeTempDir();
  let db: SqliteDatabase;
  let memories: MemoryRepository;
  let seed = 5;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;

  before(() => {
    const path = join(dir, 'engram.db');
    db = openSqliteDatabase(path, DEFAULT_PRAGMAS);
    bindEmbeddingModel(db, path, { modelId: 'test-8', dimension: 8 });
    memories = new MemoryRepository(db, new VectorIndex(db));
    const rows: NewMemory[] = Array.from({ length: MEMORIES }, (_, i) => ({
      namespace: i % 5 === 0 ? 'team' : 'default',
      contentHash: `h${i}`,
      content: `memory ${i}`,
      memoryType: i % 4 === 0 ? 'fact' : 'note',
      metadata: {},
      tags: TAGS.filter(() => random() < 0.4),
      createdAt: NOW - Math.floor(random() * 400) * DAY,
      updatedAt: NOW,
      embedding: Float32Array.of(1, 0, 0, 0, 0, 0, 0, 0),
    }));
    memories.insertMany(rows);
    // Deleted and superseded memories, and one moved to another namespace after the fact.
    db.prepare('UPDATE memories SET deleted_at = ? WHERE id % 13 = 0').run(NOW);
    db.prepare('UPDATE memories SET superseded_by = id + 1 WHERE id % 17 = 0 AND id < ?').run(MEMORIES);
    db.prepare("UPDATE memories SET namespace = 'team', created_at = ? WHERE id = 42").run(NOW - DAY);
  });
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function randomFilter(): MemoryFilter {
    const from = random() < 0.6 ? NOW - Math.floor(random() * 400) * DAY : undefined;
    return {
      namespace: random() < 0.7 ? 'default' : 'team',
      tags: random() < 0.6 ? TAGS.filter(() => random() < 0.5) : undefined,
      tagMatch: random() < 0.5 ? 'all' : 'any',
      memoryType: random() < 0.3 ? 'fact' : undefined,
      createdFromMs: from,
      createdBeforeMs: random() < 0.4 ? (from ?? NOW - 300 * DAY) + Math.floor(random() * 200) * DAY : undefined,
      includeSuperseded: random() < 0.2,
    };
  }

  /** The definition: the filter's scan over the table, limited to the candidates. */
  function admittedByScan(filter: MemoryFilter, ids: number[]): number[] {
    const where = memoryFilterSql(filter);
    return db
      .prepare(
        `SELECT m.id FROM memories m WHERE ${where.sql} AND m.id IN (SELECT value FROM json_each(?)) ORDER BY m.id`,
      )
      .pluck()
      .all(...where.params, JSON.stringify(ids)) as number[];
  }

  it('admits exactly the memories the filter admits, for random filters and candidates', () => {
    let admittedSome = 0;
    for (let round = 0; round < 80; round++) {
      const filter = randomFilter();
      const ids = Array.from({ length: 300 }, () => 1 + Math.floor(random() * (MEMORIES + 50)));
      const expected = admittedByScan(filter, ids);
      assert.deepEqual(
        [...memories.filterIds(filter, ids)].sort((a, b) => a - b),
        expected,
        JSON.stringify(filter),
      );
      // The same statement with the tag looked up first (the index's thread, candidates inside the ranges).
      const tagFirst = admittedIdsSql(filter, true);
      const admitted = db
        .prepare(tagFirst.sql)
        .pluck()
        .all(JSON.stringify(ids), ...tagFirst.params) as number[];
      assert.deepEqual(
        [...new Set(admitted)].sort((a, b) => a - b),
        expected,
        JSON.stringify(filter),
      );
      if (expected.length > 0) admittedSome++;
    }
    assert.ok(admittedSome >= 40, `${admittedSome} of 80 filters admitted some candidates`);
  });

  it('finds neighbours the filter admits as a scan of the table does', () => {
    const search = new SearchRepository(db, new VectorIndex(db), memories);
    for (let round = 0; round < 30; round++) {
      const filter = randomFilter();
      const ids = Array.from({ length: 20 }, () => 1 + Math.floor(random() * MEMORIES));
      const admitted = admittedByScan(
        filter,
        Array.from({ length: MEMORIES + 1 }, (_, id) => id),
      );
      const expected = new Map(
        ids.map((id) => {
          const previous = admitted.filter((other) => other < id && other >= id - ADJACENT_ID_REACH).at(-1);
          const next = admitted.find((other) => other > id && other <= id + ADJACENT_ID_REACH);
          return [id, [previous, next].filter((other): other is number => other !== undefined)];
        }),
      );
      assert.deepEqual(search.adjacent(ids, filter), expected, JSON.stringify(filter));
    }
  });

  it('reads the index alone: a rejected candidate costs no read of its row', () => {
    const admitted = admittedIdsSql({
      namespace: 'default',
      memoryType: 'fact',
      createdFromMs: NOW - DAY,
      tags: ['work'],
    });
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${admitted.sql}`).all('[1]', ...admitted.params) as {
      detail: string;
    }[];
    assert.ok(
      plan.some(({ detail }) => detail.includes('USING COVERING INDEX memories_filter_probe')),
      JSON.stringify(plan),
    );
  });

  it('looks a candidate up in the tag index before the filter-probe index, for candidate lists and full-text walks', () => {
    const filter: MemoryFilter = { namespace: 'default', createdFromMs: NOW - 100 * DAY, tags: ['work', 'home'] };
    const walk = fullTextWalkWhere(filter, [{ from: 1, to: MEMORIES }]);
    const admitted = admittedIdsSql(filter, true);
    const statements = [
      { sql: admitted.sql, params: ['[1, 2, 3]', ...admitted.params] },
      {
        sql: `SELECT m.id FROM memories_fts CROSS JOIN ${PROBED_MEMORIES} ON m.id = memories_fts.rowid
              WHERE memories_fts MATCH ? AND ${walk.sql} ORDER BY memories_fts.rowid DESC LIMIT 10`,
        params: ['memory', ...walk.params],
      },
    ];
    for (const { sql, params } of statements) {
      const steps = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map(
        ({ detail }) => detail,
      );
      const tagStep = steps.findIndex((detail) => /SEARCH t\b/.test(detail));
      const probeStep = steps.findIndex((detail) => detail.includes('memories_filter_probe'));
      assert.ok(tagStep >= 0 && probeStep > tagStep, JSON.stringify(steps));
    }
    // And the answers are the scan's (the random-filter case above holds every shape of filter).
    assert.deepEqual(
      [...memories.filterIds(filter, [1, 2, 3, 4, 5, 6, 7, 8])].sort((a, b) => a - b),
      admittedByScan(filter, [1, 2, 3, 4, 5, 6, 7, 8]),
    );
  });
});
