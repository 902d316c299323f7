import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';
import { plansOf, tablesRead } from '../testing/sqlite-plans';
import { makeTempDir } from '../testing/test-app';
import { bindEmbeddingModel } from './embedding-model.binding';
import { MemoryRepository } from './memory.repository';
import { openSqliteDatabase, SqliteDatabase } from './sqlite.connection';
import { VectorIndex } from './vector-index';

const TAGS = ['work', 'travel', 'health', 'family', 'finance'];

/**
 * On SQLite too the namespace's figures are read from memory_tallies (migration 030) instead of counted: at
 * 100,000 memories the tag counts joined every live memory with its tags (0.56 s) and the totals and
 * types read every memory of the namespace (59 ms).
 */
describe("a namespace's figures are read, not counted (SQLite)", () => {
  let db: SqliteDatabase;
  const repository = () => new MemoryRepository(db, new VectorIndex(db));

  before(() => {
    const path = join(makeTempDir(), 'engram.db');
    db = openSqliteDatabase(path, DEFAULT_PRAGMAS);
    bindEmbeddingModel(db, path, { modelId: 'test-8', dimension: 8 });
    repository().insertMany(
      Array.from({ length: 500 }, (_, i) => ({
        namespace: 'default',
        contentHash: `h${i}`,
        content: `memory ${i}`,
        memoryType: i % 3 === 0 ? 'fact' : 'note',
        metadata: {},
        tags: [TAGS[i % TAGS.length]],
        createdAt: 1_000 + i,
        updatedAt: 1_000 + i,
        embedding: new Float32Array(8).fill(1),
      })),
    );
  });
  after(() => db.close());

  it('reads the tag counts and the live-memories gauge without a tag row or a memory row', () => {
    for (const read of [(r: MemoryRepository) => r.tagCounts('default'), (r: MemoryRepository) => r.countAllLive()]) {
      const memories = repository();
      const steps = plansOf(db, () => read(memories)).flat();
      assert.ok(steps.length > 0);
      assert.deepEqual([...new Set(tablesRead(steps))], ['memory_tallies'], steps.join('; '));
    }
  });

  it("reads a page's total over the whole namespace from the tallies, superseded memories left out or not", () => {
    for (const includeSuperseded of [false, true]) {
      const memories = repository();
      const steps = plansOf(db, () => memories.count({ namespace: 'default', includeSuperseded })).flat();
      assert.ok(steps.length > 0);
      assert.deepEqual([...new Set(tablesRead(steps))], ['memory_tallies'], steps.join('; '));
      assert.equal(memories.count({ namespace: 'default', includeSuperseded }), 500);
    }
  });

  it("reads the trash's total (texts deleted, each once) from the tallies", () => {
    const memories = repository();
    const steps = plansOf(db, () => memories.countDeleted('default')).flat();
    assert.ok(steps.length > 0);
    assert.deepEqual([...new Set(tablesRead(steps))], ['memory_tallies'], steps.join('; '));
  });

  it('reads the totals and types from the tallies, the oldest and newest as the ends of an index', () => {
    const memories = repository();
    const steps = plansOf(db, () => memories.counts('default')).flat();
    const reads = steps.filter((step) => /^(?:SCAN|SEARCH) (?!memory_tallies\b|CONSTANT ROW)/.test(step));
    assert.equal(reads.length, 2, steps.join('; '));
    for (const step of reads)
      assert.match(step, /^SEARCH memories USING (COVERING )?INDEX memories_live_created \(namespace=\?\)$/, step);
    assert.equal(memories.counts('default').live, 500);
  });
});
