import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';
import { makeTempDir } from '../testing/test-app';
import { bindEmbeddingModel } from './embedding-model.binding';
import { Fts5TermCounter } from './fts5-term-counter';
import { NewMemory } from './memory.record';
import { MemoryRepository } from './memory.repository';
import { MemoryFilter, memoryFilterSql } from './memory-filter.sql';
import { MemoryIdBlocks } from './memory-id-blocks';
import { RECENT_MATCHES_RANKED } from './search.store';
import { openSqliteDatabase, SqliteDatabase } from './sqlite.connection';
import { newestHolders } from './sqlite-newest-holders';
import { PreparedStatements } from './prepared-statements';
import { VectorIndex } from './vector-index';

const MEMORIES = 24_000;
const HALF = MEMORIES / 2;
const START = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;
/** Every memory of the newer half holds all of these; of the older half, all hold `alpha`, one in 50 `beta`. */
const NEWER_TERMS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];

describe('the newest holders of common terms, by a walk of the full-text index (real SQLite)', () => {
  const dir = makeTempDir();
  let db: SqliteDatabase;

  before(() => {
    const path = join(dir, 'engram.db');
    db = openSqliteDatabase(path, DEFAULT_PRAGMAS);
    bindEmbeddingModel(db, path, { modelId: 'test-8', dimension: 8 });
    const memories = new MemoryRepository(db, new VectorIndex(db));
    const rows: NewMemory[] = [];
    for (let i = 0; i < MEMORIES; i++) {
      const older = i < HALF;
      const words = older ? `alpha${i % 50 === 0 ? ' beta' : ''}` : NEWER_TERMS.join(' ');
      rows.push({
        namespace: 'default',
        contentHash: `h${i}`,
        content: `${words} note ${i}`,
        memoryType: 'note',
        metadata: {},
        tags: i % 2 === 0 ? ['even'] : [],
        createdAt: START + i * MINUTE,
        updatedAt: START + i * MINUTE,
        embedding: Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8),
      });
    }
    for (let start = 0; start < rows.length; start += 2_000) memories.insertMany(rows.slice(start, start + 2_000));
  });
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function holders(terms: readonly string[], filter: MemoryFilter) {
    const ranges = new MemoryIdBlocks(db).ranges(filter);
    return newestHolders(new PreparedStatements(db), terms, filter, ranges, new Fts5TermCounter(terms));
  }

  /** The definition: every admitted memory holding a term, newest first, read from the table. */
  function admittedHolders(terms: readonly string[], filter: MemoryFilter): number[] {
    const where = memoryFilterSql(filter);
    const rows = db
      .prepare(`SELECT m.id AS id, m.content AS content FROM memories m WHERE ${where.sql} ORDER BY m.id DESC`)
      .all(...where.params) as { id: number; content: string }[];
    const held = new Set(terms);
    return rows.filter(({ content }) => content.split(' ').some((word) => held.has(word))).map(({ id }) => id);
  }

  /** The older half: a window ending half-way back, below the newer half's matches of every term. */
  const olderHalf: MemoryFilter = { namespace: 'default', createdBeforeMs: START + HALF * MINUTE };

  it('finds the newest admitted holders of a window far back, with their term counts', () => {
    const filter = { ...olderHalf, tags: ['even'] };
    const found = holders(NEWER_TERMS, filter);
    assert.equal(found.length, RECENT_MATCHES_RANKED);
    assert.deepEqual(
      found.map(({ id }) => id),
      admittedHolders(NEWER_TERMS, filter).slice(0, RECENT_MATCHES_RANKED),
    );
    assert.equal(found[0].id, HALF - 1, 'the newest even memory of the older half first'); // ids are i + 1
    const beta = found.find(({ id }) => (id - 1) % 50 === 0)!;
    assert.deepEqual(beta.counts.frequencies.slice(0, 2), [1, 1], 'alpha and beta, each once');
  });

  it('finds every holder when fewer than the window hold a term', () => {
    const terms = NEWER_TERMS.filter((term) => term !== 'alpha');
    const found = holders(terms, olderHalf);
    assert.equal(found.length, HALF / 50);
    assert.deepEqual(
      found.map(({ id }) => id),
      admittedHolders(terms, olderHalf),
    );
  });

  it('finds the newest holders of a window ending at the newest memories', () => {
    const recent = { namespace: 'default', createdFromMs: START + HALF * MINUTE, tags: ['even'] };
    assert.deepEqual(
      holders(NEWER_TERMS, recent).map(({ id }) => id),
      admittedHolders(NEWER_TERMS, recent).slice(0, RECENT_MATCHES_RANKED),
    );
  });
});
