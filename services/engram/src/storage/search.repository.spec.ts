import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';
import { namespaceFullText } from '../testing/namespace-full-text';
import { makeTempDir } from '../testing/test-app';
import { bindEmbeddingModel } from './embedding-model.binding';
import { NewMemory } from './memory.record';
import { MemoryRepository } from './memory.repository';
import { MemoryFilter, memoryFilterSql } from './memory-filter.sql';
import { SearchRepository } from './search.repository';
import { readVarints, SqliteKeywordRanking } from './sqlite-keyword-ranking';
import { COMMON_TERM_ROWS, RECENT_MATCHES_RANKED } from './search.store';
import { KeywordHit } from './search.store';
import { openSqliteDatabase, SqliteDatabase } from './sqlite.connection';
import { VectorIndex } from './vector-index';

const DIMENSION = 16;
/** Above the repository's exact-scan threshold (5,000 admitted), so the quantised path runs. */
const MEMORIES = 12_000;
const NEAR = 40;

/** Deterministic vectors: a few near the query (same signs, so also nearest by Hamming), the rest random. */
function vectors(): { query: Float32Array; stored: Float32Array[] } {
  let seed = 1;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const query = Float32Array.from({ length: DIMENSION }, () => next());
  const stored = Array.from({ length: MEMORIES }, (_, i) =>
    i < NEAR
      ? query.map((value) => value * (1 + Math.abs(next())) + Math.sign(value) * 0.05 * i)
      : Float32Array.from({ length: DIMENSION }, () => next()),
  );
  return { query, stored };
}

/** A new database in `dir` bound to the 16-dimension test model, with its repositories. */
function openStore(dir: string) {
  const path = join(dir, 'engram.db');
  const db = openSqliteDatabase(path, DEFAULT_PRAGMAS);
  bindEmbeddingModel(db, path, { modelId: 'test-16', dimension: DIMENSION });
  const vectorIndex = new VectorIndex(db);
  return { db, vectorIndex, memories: new MemoryRepository(db, vectorIndex) };
}

function cosineDistance(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return 1 - dot / Math.sqrt(na * nb);
}

describe('SearchRepository.vectorCandidates above the exact-scan threshold', () => {
  const { query, stored } = vectors();
  let db: SqliteDatabase;
  let search: SearchRepository;
  let memories: MemoryRepository;
  const dir = makeTempDir();

  before(() => {
    const store = openStore(dir);
    db = store.db;
    memories = store.memories;
    const { vectorIndex } = store;
    const rows: NewMemory[] = stored.map((embedding, i) => ({
      namespace: 'default',
      contentHash: `hash-${i}`,
      content: `memory ${i}`,
      memoryType: i % 3 === 0 ? 'decision' : 'note',
      metadata: {},
      tags: [i % 2 === 0 ? 'even' : 'odd'],
      createdAt: i,
      updatedAt: i,
      embedding,
    }));
    memories.insertMany(rows);
    search = new SearchRepository(db, vectorIndex, memories);
  });
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The exact answer, computed here in plain TypeScript over the memories the predicate admits. */
  function exactTop(k: number, admits: (i: number) => boolean): number[] {
    return stored
      .map((vector, i) => ({ id: i + 1, distance: cosineDistance(query, vector), admitted: admits(i) }))
      .filter((hit) => hit.admitted)
      .sort((a, b) => a.distance - b.distance)
      .slice(0, k)
      .map((hit) => hit.id);
  }

  const cases: { name: string; filter: MemoryFilter; admits: (i: number) => boolean }[] = [
    { name: 'no filter', filter: { namespace: 'default' }, admits: () => true },
    { name: 'a tag', filter: { namespace: 'default', tags: ['even'] }, admits: (i) => i % 2 === 0 },
    {
      name: 'a tag and a time range',
      filter: { namespace: 'default', tags: ['odd'], createdFromMs: 1, createdBeforeMs: 11_000 },
      admits: (i) => i % 2 === 1 && i >= 1 && i < 11_000,
    },
    {
      name: 'a type (4,000 admitted: below the threshold, the exact scan)',
      filter: { namespace: 'default', memoryType: 'decision' },
      admits: (i) => i % 3 === 0,
    },
  ];

  for (const { name, filter, admits } of cases) {
    it(`returns the exact top 10 with ${name}, with exact distances`, async () => {
      const hits = await search.vectorCandidates(query, filter, 10);
      assert.deepEqual(
        hits.map((hit) => hit.id),
        exactTop(10, admits),
      );
      for (const hit of hits) assert.ok(Math.abs(hit.distance - cosineDistance(query, stored[hit.id - 1])) < 1e-5);
    });
  }

  it('leaves superseded memories out of the quantised pass unless asked to include them', async () => {
    // The five nearest memories are replaced by far-away ones; runs last, as it changes the data.
    for (let id = 1; id <= 5; id++) assert.ok(!('refused' in memories.linkSupersession('default', id, 1000 + id, 1)));
    const current = await search.vectorCandidates(query, { namespace: 'default' }, 10);
    assert.deepEqual(
      current.map((hit) => hit.id),
      exactTop(10, (i) => i >= 5),
    );
    const all = await search.vectorCandidates(query, { namespace: 'default', includeSuperseded: true }, 10);
    assert.deepEqual(
      all.map((hit) => hit.id),
      exactTop(10, () => true),
    );
  });
});

describe('the in-memory vector mirror with a second process writing the same file', () => {
  it('sees vectors another connection committed after the mirror was loaded', () => {
    const dir = makeTempDir();
    const path = join(dir, 'engram.db');
    const reader = openSqliteDatabase(path, DEFAULT_PRAGMAS);
    bindEmbeddingModel(reader, path, { modelId: 'test-16', dimension: DIMENSION });
    const writer = openSqliteDatabase(path, DEFAULT_PRAGMAS);
    try {
      const readerIndex = new VectorIndex(reader);
      const writerMemories = new MemoryRepository(writer, new VectorIndex(writer));
      const { query, stored } = vectors();
      const memory = (i: number, embedding: Float32Array): NewMemory => ({
        namespace: 'default',
        contentHash: `hash-${i}`,
        content: `memory ${i}`,
        memoryType: 'note',
        metadata: {},
        tags: [],
        createdAt: i,
        updatedAt: i,
        embedding,
      });
      writerMemories.insertMany(stored.slice(NEAR, NEAR + 50).map((vector, i) => memory(i, vector)));
      const before = readerIndex.nearestByBits('default', query, 1);
      const mirrorOf = () => (readerIndex as unknown as { mirror: object }).mirror;
      const loaded = mirrorOf();
      const nearId = writerMemories.insertMany([memory(999, query)])[0].memory.id;
      assert.notDeepEqual(before, [nearId]);
      assert.deepEqual(readerIndex.nearestByBits('default', query, 1), [nearId]);
      assert.equal(mirrorOf(), loaded, 'caught up from the change log, not reloaded');

      writerMemories.hardDelete(nearId);
      assert.notDeepEqual(readerIndex.nearestByBits('default', query, 1), [nearId]);
      assert.equal(mirrorOf(), loaded);

      // A wholesale rewrite (restore, reindex switch) starts a new epoch: the mirror reloads.
      writer.transaction(() => VectorIndex.markRebuilt(writer))();
      readerIndex.nearestByBits('default', query, 1);
      assert.notEqual(mirrorOf(), loaded);

      // Another process reindexed to a new model: this one must not search or write with the old one.
      readerIndex.expectModel('test-16');
      writer.prepare("UPDATE settings SET value = 'other-model' WHERE key = 'embedding_model'").run();
      assert.throws(() => readerIndex.assertModel(), /now holds vectors of other-model .* restart it/);
      assert.throws(() => readerIndex.put(1, 'default', query), /restart it/);
    } finally {
      writer.close();
      reader.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SearchRepository.keywordCandidates with terms common enough to bound', () => {
  const dir = makeTempDir();
  let db: SqliteDatabase;
  let search: SearchRepository;
  let memories: MemoryRepository;
  /** More memories hold "weather" than COMMON_TERM_ROWS: it is a common term. */
  const COMMON = COMMON_TERM_ROWS + 1_500;
  const contents: string[] = [];

  before(() => {
    const store = openStore(dir);
    db = store.db;
    const { vectorIndex } = store;
    memories = store.memories;
    // The oldest memory says "weather" most often: full BM25 would rank it first for "weather".
    contents.push('weather weather weather weather weather');
    for (let i = 1; i < COMMON; i++) {
      const rare = i % 500 === 0 ? ` zebra ${i % 3 === 0 ? 'weather weather' : 'calm calm'}` : '';
      contents.push(`weather note ${i} about filler words${rare}`);
    }
    const vector = Float32Array.from({ length: DIMENSION }, (_, i) => i + 1);
    const row = (content: string, i: number, namespace = 'default'): NewMemory => ({
      namespace,
      contentHash: `hash-${namespace}-${i}`,
      content,
      memoryType: 'note',
      metadata: {},
      tags: [i % 2 === 0 ? 'even' : 'odd'],
      createdAt: i,
      updatedAt: i,
      embedding: vector,
    });
    // As many memories again without it, so it stays in fewer than half (BM25 gives those terms weight).
    for (let i = 0; i < COMMON; i++) contents.push(`quiet entry ${i}`);
    memories.insertMany(contents.map((content, i) => row(content, i)));
    // A small namespace written before the big one's newest memories: its matches are all old.
    memories.insertMany(['weather in the small tenant', 'more weather weather here'].map((c, i) => row(c, i, 'small')));
    memories.insertMany(['weather again at the end'].map((c, i) => row(c, COMMON + i)));
    search = new SearchRepository(db, vectorIndex, memories);
  });
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Unbounded BM25 of the whole query over every admitted match, by FTS5 over the namespace's memories
   * alone: what the bounded search must agree with.
   */
  function fullBm25(terms: string[], filter: MemoryFilter): KeywordHit[] {
    const where = memoryFilterSql(filter);
    const fts = namespaceFullText(db, filter.namespace);
    return db
      .prepare(
        `SELECT m.id AS id, -bm25(${fts}) AS bm25 FROM ${fts} CROSS JOIN memories m ON m.id = ${fts}.rowid
         WHERE ${fts} MATCH ? AND ${where.sql} ORDER BY bm25(${fts}), m.id DESC`,
      )
      .all(terms.map((term) => `"${term}"`).join(' OR '), ...where.params) as KeywordHit[];
  }

  it('ranks memories holding a rare term by the whole query, common terms weighing in, exactly', () => {
    for (const filter of [{ namespace: 'default' }, { namespace: 'default', tags: ['even'] }]) {
      const hits = search.keywordCandidates(['zebra', 'weather'], filter, 5);
      const expected = fullBm25(['zebra', 'weather'], filter)
        .filter((hit) => contents[hit.id - 1]?.includes('zebra'))
        .slice(0, 5);
      assert.deepEqual(
        hits.map((hit) => hit.id),
        expected.map((hit) => hit.id),
      );
      for (const [i, hit] of hits.entries()) assert.ok(Math.abs(hit.bm25 - expected[i].bm25) < 1e-9);
      // The memories saying "weather" twice besides "zebra" come first: the common term counted.
      assert.match(contents[hits[0].id - 1], /zebra weather weather/);
    }
  });

  it('with common terms only, ranks the newest matches the filter admits and not the whole history', () => {
    const hits = search.keywordCandidates(['weather'], { namespace: 'default' }, 10);
    assert.equal(hits.length, 10);
    const oldest = fullBm25(['weather'], { namespace: 'default' })[0];
    assert.equal(oldest.id, 1, 'unbounded BM25 ranks the oldest memory first');
    assert.ok(!hits.some((hit) => hit.id === 1), 'the oldest match is past the recent window');
    const oldestInWindow = db
      .prepare(
        "SELECT id FROM memories WHERE namespace = 'default' AND content LIKE '%weather%' ORDER BY id DESC LIMIT 1 OFFSET ?",
      )
      .pluck()
      .get(RECENT_MATCHES_RANKED - 1) as number;
    assert.ok(hits.every((hit) => hit.id >= oldestInWindow));
    assert.ok(
      hits.some((hit) => contents[hit.id - 1]?.includes('weather weather')),
      'best BM25 inside the window',
    );

    const small = search.keywordCandidates(['weather'], { namespace: 'small' }, 10);
    assert.equal(small.length, 2, 'a small namespace still finds its older matches');
    assert.deepEqual(
      small.map((hit) => hit.id),
      fullBm25(['weather'], { namespace: 'small' }).map((hit) => hit.id),
    );
  });

  it('scores outside FTS5 (past the IDF walk bound) exactly as bm25() does, before and after the store grows', () => {
    // The small namespace leaves: the store is one namespace's, whose scores FTS5's bm25() gives when cheap.
    db.prepare("UPDATE memories SET deleted_at = 1 WHERE namespace = 'small'").run();
    const scoredHere = new SqliteKeywordRanking(db, { idfWalkMaxRows: 0 });
    const queries = [
      ['zebra', 'weather'],
      ['weather'],
      ['weather', 'note'],
      ['calm', 'weather', 'zebra'],
      ['quiet', 'weather'],
    ];
    const filters: MemoryFilter[] = [{ namespace: 'default' }, { namespace: 'default', tags: ['even'] }];
    const agree = () => {
      for (const terms of queries) {
        for (const filter of filters) {
          const expected = search.keywordCandidates(terms, filter, 20);
          const hits = scoredHere.candidates(terms, filter, 20);
          assert.deepEqual(
            hits.map((hit) => hit.id),
            expected.map((hit) => hit.id),
            `${terms.join(' ')} in ${JSON.stringify(filter)}`,
          );
          for (const [i, hit] of hits.entries()) assert.ok(Math.abs(hit.bm25 - expected[i].bm25) < 1e-9);
        }
      }
    };
    agree();
    // A tenth more memories, all saying "quiet": its kept count is stale (its IDF goes from 0.18 to 1e-6).
    const grown = Array.from({ length: Math.ceil(contents.length / 10) }, (_, i) => `quiet evening ${i}`);
    const vector = Float32Array.from({ length: DIMENSION }, (_, i) => i + 1);
    memories.insertMany(
      grown.map((content, i) => ({
        namespace: 'default',
        contentHash: `grown-${i}`,
        content,
        memoryType: 'note',
        metadata: {},
        tags: [],
        createdAt: COMMON + 10 + i,
        updatedAt: COMMON + 10 + i,
        embedding: vector,
      })),
    );
    agree();
  });

  it('ignores terms nothing contains and returns nothing when no term matches', () => {
    assert.deepEqual(search.keywordCandidates(['qwertyuiop'], { namespace: 'default' }, 10), []);
    const withUnknown = search.keywordCandidates(['zebra', 'qwertyuiop'], { namespace: 'default' }, 3);
    assert.deepEqual(
      withUnknown.map((hit) => hit.id),
      search.keywordCandidates(['zebra'], { namespace: 'default' }, 3).map((hit) => hit.id),
    );
  });
});

describe('readVarints', () => {
  it('reads SQLite varints of one, two and three bytes, and zeros past the record', () => {
    assert.deepEqual(readVarints(Uint8Array.from([0x05, 0x81, 0x00, 0x82, 0x80, 0x01]), 4), [5, 128, 32769, 0]);
  });
});

describe('SearchRepository.adjacent', () => {
  it('answers the live memories stored right before and after, in the same namespace and filter', () => {
    const dir = makeTempDir();
    const path = join(dir, 'engram.db');
    const db = openSqliteDatabase(path, DEFAULT_PRAGMAS);
    try {
      bindEmbeddingModel(db, path, { modelId: 'test-16', dimension: DIMENSION });
      const vectorIndex = new VectorIndex(db);
      const memories = new MemoryRepository(db, vectorIndex);
      const row = (i: number, namespace: string, memoryType = 'note'): NewMemory => ({
        namespace,
        contentHash: `adjacent-${i}`,
        content: `turn ${i}`,
        memoryType,
        metadata: {},
        tags: [],
        createdAt: i,
        updatedAt: i,
        embedding: Float32Array.from({ length: DIMENSION }, (_, d) => (d === i % DIMENSION ? 1 : 0.1)),
      });
      // ids 1..8: a, a, b, a, a(deleted), a, a(type "task"), a
      const namespaces = ['a', 'a', 'b', 'a', 'a', 'a', 'a', 'a'];
      const ids = memories
        .insertMany(namespaces.map((namespace, i) => row(i, namespace, i === 6 ? 'task' : 'note')))
        .map((outcome) => outcome.memory.id);
      memories.softDelete(ids[4], 100);
      const search = new SearchRepository(db, vectorIndex, memories);

      const around = search.adjacent([ids[0], ids[3], ids[5]], { namespace: 'a' });
      assert.deepEqual(around.get(ids[0]), [ids[1]]);
      // Skips the other namespace's memory and the deleted one.
      assert.deepEqual(around.get(ids[3]), [ids[1], ids[5]]);
      assert.deepEqual(around.get(ids[5]), [ids[3], ids[6]]);
      // The filter applies to neighbours as it does to results.
      const notes = search.adjacent([ids[5]], { namespace: 'a', memoryType: 'note' });
      assert.deepEqual(notes.get(ids[5]), [ids[3], ids[7]]);
      assert.deepEqual(search.adjacent([], { namespace: 'a' }), new Map());
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
