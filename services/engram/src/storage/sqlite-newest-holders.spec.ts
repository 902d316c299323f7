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
import { MemoryFilter } from './memory-filter.sql';
import { MemoryIdBlocks } from './memory-id-blocks';
import { quoted } from './fts5-query';
import { RECENT_MATCHES_RANKED } from './search.store';
import { openSqliteDatabase, SqliteDatabase } from './sqlite.connection';
import {
  admittedNewestFirstSql,
  admittedWalkCostUs,
  CommonTerm,
  fullTextWalkCostUs,
  NewestWalk,
  SqliteNewestHolders,
} from './sqlite-newest-holders';
import { VectorIndex } from './vector-index';

const MEMORIES = 24_000;
const HALF = MEMORIES / 2;
const START = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;
/** Every memory of the newer half holds all of these; of the older half, all hold `alpha`, one in 50 `beta`. */
const NEWER_TERMS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];

describe('the newest holders of common terms, by the full-text walk or the admitted walk (real SQLite)', () => {
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

  function commonTerms(terms: readonly string[]): CommonTerm[] {
    const count = db.prepare('SELECT count(*) FROM memories_fts WHERE memories_fts MATCH ?').pluck();
    return terms.map((term) => ({ term, rows: count.get(quoted(term)) as number, oneToken: true }));
  }

  function newestHolders(walk: NewestWalk, terms: readonly string[], filter: MemoryFilter) {
    const holders = new SqliteNewestHolders(db, walk);
    const found = holders.ofCommonTerms(
      commonTerms(terms),
      filter,
      new MemoryIdBlocks(db).ranges(filter),
      new Fts5TermCounter(terms),
    );
    return { found, walks: holders.walks };
  }

  /** The older half: a window ending half-way back, so the full-text walk steps over the newer half's matches. */
  const olderHalf: MemoryFilter = { namespace: 'default', createdBeforeMs: START + HALF * MINUTE };

  it('takes the admitted walk when the terms are held by most admitted memories, and finds what the full-text walk finds', () => {
    const filter = { ...olderHalf, tags: ['even'] };
    const cheaper = newestHolders('cheaper', NEWER_TERMS, filter);
    const fullText = newestHolders('full-text', NEWER_TERMS, filter);
    assert.deepEqual(cheaper.walks, { fullText: 0, admitted: 1, handedOver: 0 });
    assert.equal(cheaper.found.length, RECENT_MATCHES_RANKED);
    assert.deepEqual(cheaper.found, fullText.found, 'the same memories, with the same counts');
    assert.equal(cheaper.found[0].id, HALF - 1, 'the newest even memory of the older half first');
    assert.ok(cheaper.found.every(({ id }) => id % 2 === 1 && id <= HALF)); // ids are i + 1
  });

  it('hands over to the full-text walk when few admitted memories hold a term', () => {
    const terms = NEWER_TERMS.filter((term) => term !== 'alpha');
    const cheaper = newestHolders('cheaper', terms, olderHalf);
    assert.deepEqual(cheaper.walks, { fullText: 1, admitted: 0, handedOver: 1 });
    const forced = newestHolders('admitted', terms, olderHalf);
    assert.deepEqual(forced.walks, { fullText: 0, admitted: 1, handedOver: 0 });
    assert.equal(cheaper.found.length, HALF / 50, 'every holder of the older half: fewer than the window');
    assert.deepEqual(cheaper.found, forced.found);
    assert.deepEqual(cheaper.found, newestHolders('full-text', terms, olderHalf).found);
  });

  it('goes straight to the full-text walk when the window ends at the newest memories', () => {
    const recent = { namespace: 'default', createdFromMs: START + HALF * MINUTE, tags: ['even'] };
    const cheaper = newestHolders('cheaper', NEWER_TERMS, recent);
    assert.deepEqual(cheaper.walks, { fullText: 1, admitted: 0, handedOver: 0 });
    assert.deepEqual(cheaper.found, newestHolders('admitted', NEWER_TERMS, recent).found);
  });

  it('projects both walks from the shares an admitted walk has seen', () => {
    // A quarter admitted, nearly all of those holding a term: reading on is cheaper than stepping over.
    const dense = { ids: 4_000, read: 1_000, holders: 900 };
    assert.ok(admittedWalkCostUs(dense, 1e6) < fullTextWalkCostUs(dense, 2_000));
    // One in fifty admitted memories holds a term: the full-text walk checks only the holders' matches.
    const sparse = { ids: 1_000, read: 1_000, holders: 20 };
    assert.ok(admittedWalkCostUs(sparse, 1e6) > fullTextWalkCostUs(sparse, 2_000));
    // Nothing is left to read past the end of the ranges, and nothing once the window is full.
    assert.equal(admittedWalkCostUs(sparse, 0), 0);
    assert.equal(admittedWalkCostUs({ ids: 9, read: 5, holders: RECENT_MATCHES_RANKED }, 1e6), 0);
  });

  it('walks the covering filter index in id order, with no sort, however many ranges', () => {
    for (const ranges of [
      [{ from: 1, to: 500 }],
      [
        { from: 1, to: 500 },
        { from: 900, to: 1_200 },
      ],
    ]) {
      const walk = admittedNewestFirstSql({ ...olderHalf, tags: ['even'], memoryType: 'note' }, ranges);
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${walk.sql}`).all(...walk.params) as { detail: string }[])
        .map(({ detail }) => detail)
        .join(' | ');
      assert.match(plan, /SEARCH m USING COVERING INDEX memories_filter_probe \(id>\? AND id<\?\)/);
      assert.doesNotMatch(plan, /TEMP B-TREE/);
    }
  });
});
