import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';
import { makeTempDir } from '../testing/test-app';
import { bindEmbeddingModel } from './embedding-model.binding';
import { NewMemory } from './memory.record';
import { MemoryRepository } from './memory.repository';
import { MemoryFilter } from './memory-filter.sql';
import { SearchRepository } from './search.repository';
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
  const dir = makeTempDir();

  before(() => {
    const path = join(dir, 'engram.db');
    db = openSqliteDatabase(path, DEFAULT_PRAGMAS);
    bindEmbeddingModel(db, path, { modelId: 'test-16', dimension: DIMENSION });
    const vectorIndex = new VectorIndex(db);
    const memories = new MemoryRepository(db, vectorIndex);
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
    it(`returns the exact top 10 with ${name}, with exact distances`, () => {
      const hits = search.vectorCandidates(query, filter, 10);
      assert.deepEqual(
        hits.map((hit) => hit.id),
        exactTop(10, admits),
      );
      for (const hit of hits) assert.ok(Math.abs(hit.distance - cosineDistance(query, stored[hit.id - 1])) < 1e-5);
    });
  }
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
