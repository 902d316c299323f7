import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';
import { plansOf } from '../testing/sqlite-plans';
import { makeTempDir } from '../testing/test-app';
import { bindEmbeddingModel } from './embedding-model.binding';
import { MemoryFilter } from './memory-filter.sql';
import { MemoryRepository } from './memory.repository';
import { openSqliteDatabase, SqliteDatabase } from './sqlite.connection';
import { VectorIndex } from './vector-index';

const MEMORIES = 600;
const POSITION = { createdAt: 1_300, id: 300 };

/**
 * A page after a position (the list's and the trash's cursor, the indexer's walk) is a range of an index
 * read in the page's order, on SQLite as on PostgreSQL: no sort of what the filter admits before the
 * page's rows, so a walk through the whole list reads each memory once. (A tag filter reads the tag's
 * memories from the tag index and sorts them, as the list's offset pages do.)
 */
describe('pages after a position read an index range in order (SQLite)', () => {
  let db: SqliteDatabase;
  const repository = () => new MemoryRepository(db, new VectorIndex(db));

  before(() => {
    const path = join(makeTempDir(), 'engram.db');
    db = openSqliteDatabase(path, DEFAULT_PRAGMAS);
    bindEmbeddingModel(db, path, { modelId: 'test-8', dimension: 8 });
    const stored = repository().insertMany(
      Array.from({ length: MEMORIES }, (_, i) => ({
        namespace: i % 10 === 0 ? 'team' : 'default',
        contentHash: `h${i}`,
        content: `memory ${i}`,
        memoryType: i % 3 === 0 ? 'fact' : 'note',
        metadata: {},
        tags: [],
        createdAt: 1_000 + i,
        updatedAt: 1_000 + i,
        embedding: new Float32Array(8).fill(1),
      })),
    );
    for (const { memory } of stored.filter((_, i) => i % 4 === 0))
      repository().softDelete(memory.id, 5_000 + memory.id);
  });
  after(() => db.close());

  it("reads a memory page after a position, newest or oldest first, as a range of the namespace's creation times", () => {
    const filters: MemoryFilter[] = [
      { namespace: 'default' },
      { namespace: 'default', includeSuperseded: true },
      { namespace: 'default', memoryType: 'fact' },
      { namespace: 'default', createdFromMs: 1_100, createdBeforeMs: 1_500 },
    ];
    for (const filter of filters) {
      for (const order of ['newest', 'oldest'] as const) {
        const memories = repository();
        const [steps] = plansOf(db, () => memories.listAfter(filter, POSITION, 10, order)).filter((plan) =>
          plan.some((step) => step.startsWith('SEARCH m ')),
        );
        const range = new RegExp(
          `^SEARCH m USING INDEX memories_live_(created|type) \\(namespace=\\? .*created_at${order === 'newest' ? '<' : '>'}\\?`,
        );
        const where = `${JSON.stringify(filter)}, ${order}: ${steps.join('; ')}`;
        assert.match(steps[0], range, where);
        assert.ok(!steps.some((step) => step.includes('TEMP B-TREE')), where);
      }
    }
  });

  it('reads a trash page after a position as a range of deletion times, newest first, without sorting', () => {
    const memories = repository();
    const [steps] = plansOf(db, () => memories.listDeletedAfter('default', { deletedAt: 5_300, id: 300 }, 10)).filter(
      (plan) => plan.some((step) => step.startsWith('SEARCH m ')),
    );
    assert.match(
      steps[0],
      /^SEARCH m USING INDEX memories_trash_by_time \(namespace=\? AND deleted_at>\? AND deleted_at<\?\)/,
    );
    assert.ok(
      steps.some((step) => /^SEARCH n USING INDEX memories_trash_by_hash/.test(step)),
      steps.join('; '),
    );
    assert.ok(!steps.some((step) => step.includes('TEMP B-TREE')), steps.join('; '));
  });
});
