import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';
import { plansOf, statementsRunOf, tablesRead } from '../testing/sqlite-plans';
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
 * page's rows, so a walk through the whole list reads each memory once. A tag filter reads the tag's range
 * of memory_tags_live_created (migration 032) likewise, by position or by offset, where a page read every
 * memory carrying the tag, or walked the namespace's memories until the tag's filled it.
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
        tags: [
          ...(i % 5 === 0 ? ['common'] : []),
          ...(i % 3 === 0 ? ['second'] : []),
          ...(i % 100 === 7 ? ['rare'] : []),
        ],
        createdAt: 1_000 + i,
        updatedAt: 1_000 + i,
        embedding: new Float32Array(8).fill(1),
      })),
    );
    for (const { memory } of stored.filter((_, i) => i % 4 === 0))
      repository().softDelete(memory.id, 5_000 + memory.id);
    // One superseded memory carrying `common`, in the default namespace.
    repository().linkSupersession('default', stored[5].memory.id, stored[15].memory.id, 5_000);
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

  /** The plan of the statement that walks a tag's range (its steps), as `read` runs it on a repository of its own. */
  function tagWalkPlan(read: (memories: MemoryRepository) => unknown): string[] {
    const memories = repository();
    const plans = plansOf(db, () => read(memories)).filter((plan) =>
      plan.some((step) => step.startsWith('SEARCH tagged ')),
    );
    assert.equal(plans.length, 1, JSON.stringify(plans));
    return plans[0];
  }

  it("reads a tag's page after a position or past an offset as a range of the tag's creation times, without sorting", () => {
    const filters: MemoryFilter[] = [
      { namespace: 'default', tags: ['common'] },
      { namespace: 'default', tags: ['common'], includeSuperseded: true },
      { namespace: 'default', tags: ['common'], memoryType: 'fact' },
      { namespace: 'default', tags: ['common'], createdFromMs: 1_100, createdBeforeMs: 1_500 },
    ];
    for (const filter of filters) {
      for (const order of ['newest', 'oldest'] as const) {
        const reads = {
          after: (memories: MemoryRepository) => memories.listAfter(filter, POSITION, 10, order),
          offset: (memories: MemoryRepository) => memories.list(filter, 20, 10, order),
        };
        for (const [start, read] of Object.entries(reads)) {
          const steps = tagWalkPlan(read);
          const where = `${JSON.stringify(filter)}, ${order}, ${start}: ${steps.join('; ')}`;
          assert.match(
            steps[0],
            /^SEARCH tagged USING INDEX memory_tags_live_created \(namespace=\? AND tag=\?/,
            where,
          );
          if (start === 'after') assert.ok(steps[0].includes(`created_at${order === 'newest' ? '<' : '>'}?`), where);
          assert.match(steps[1], /^SEARCH m USING INDEX memories_filter_probe \(id=\?/, where);
          assert.ok(!steps.some((step) => step.includes('TEMP B-TREE')), where);
        }
      }
    }
  });

  it("walks all of several tags along the rarest one's range, by the tag tallies, looking the others up per row", () => {
    const filter: MemoryFilter = { namespace: 'default', tags: ['common', 'rare', 'second'], tagMatch: 'all' };
    const steps = tagWalkPlan((memories) => memories.listAfter(filter, POSITION, 10, 'newest'));
    assert.match(
      steps[0],
      /^SEARCH tagged USING INDEX memory_tags_live_created \(namespace=\? AND tag=\? AND created_at<\?\)/,
    );
    assert.ok(!steps.some((step) => step.includes('TEMP B-TREE')), steps.join('; '));
    const memories = repository();
    const walks = statementsRunOf(db, () => memories.listAfter(filter, POSITION, 10, 'newest')).filter((statement) =>
      statement.sql.includes('FROM memory_tags tagged'),
    );
    assert.deepEqual(
      walks.map((walk) => walk.params.slice(0, 2)),
      [['default', 'rare']],
    );
  });

  it('looks each other tag of all of several up on its own, for a page by position or by offset and for the count', () => {
    // Counting a row's tags among the others looked every one up for every row; one EXISTS per tag stops at
    // the first the memory lacks (bench: all of three tags of 100,000 memories counted in 12-17 ms, not 19-39).
    const filter: MemoryFilter = { namespace: 'default', tags: ['common', 'rare', 'second'], tagMatch: 'all' };
    const reads: Record<string, (memories: MemoryRepository) => unknown> = {
      'a page by position': (memories) => memories.listAfter(filter, POSITION, 10, 'newest'),
      'a page by offset': (memories) => memories.list(filter, 10, 10, 'newest'),
      'the count': (memories) => memories.count(filter),
    };
    for (const [name, read] of Object.entries(reads)) {
      const steps = tagWalkPlan(read);
      // `rare` drives; `common` and `second` are a key look-up each, not one look-up of both counted.
      const lookUps = steps.filter((step) => step.startsWith('SEARCH t '));
      assert.equal(lookUps.length, 2, `${name}: ${steps.join('; ')}`);
      for (const lookUp of lookUps) {
        assert.match(lookUp, /^SEARCH t (EXISTS )?USING PRIMARY KEY \(memory_id=\? AND tag=\?\)$/, name);
      }
    }
  });

  it("merges any of several tags from each tag's range, read no further than the page's end", () => {
    const memories = repository();
    const [steps] = plansOf(db, () =>
      memories.listAfter({ namespace: 'default', tags: ['common', 'rare'] }, POSITION, 10, 'oldest'),
    ).filter((plan) => plan.some((step) => step.startsWith('SEARCH tagged ')));
    const ranges = steps.filter((step) => step.startsWith('SEARCH tagged '));
    assert.deepEqual(ranges, [
      'SEARCH tagged USING INDEX memory_tags_live_created (namespace=? AND tag=? AND created_at>?)',
      'SEARCH tagged USING INDEX memory_tags_live_created (namespace=? AND tag=? AND created_at>?)',
    ]);
  });

  it("counts a tag with a type along the tag's range, checking each memory in the filter index alone", () => {
    const steps = tagWalkPlan((memories) =>
      memories.count({ namespace: 'default', tags: ['common'], memoryType: 'fact' }),
    );
    assert.deepEqual(steps, [
      'SEARCH tagged USING INDEX memory_tags_live_created (namespace=? AND tag=?)',
      'SEARCH m USING COVERING INDEX memories_filter_probe (id=? AND namespace=?)',
    ]);
  });

  it('counts a tag or a type alone from one read of its tally, the current one unless superseded memories are admitted', () => {
    const count = (filter: MemoryFilter) => {
      const memories = repository();
      return plansOf(db, () => memories.count(filter)).map((steps) => tablesRead(steps).join(' '));
    };
    // The default namespace holds a superseded memory carrying `common`: no look-up of it either way.
    for (const filter of [
      { namespace: 'default', tags: ['common'] },
      { namespace: 'default', tags: ['common'], includeSuperseded: true },
      { namespace: 'default', memoryType: 'fact' },
      { namespace: 'team', memoryType: 'note', includeSuperseded: true },
    ]) {
      assert.deepEqual(count(filter), ['memory_tallies'], JSON.stringify(filter));
    }
  });

  it("takes a deleted memory's tags out of the tag's range and puts a restored one's back (the copies' trigger)", () => {
    const memories = repository();
    const inRange = () =>
      db
        .prepare(
          `SELECT count(*) FROM memory_tags INDEXED BY memory_tags_live_created
           WHERE namespace = 'default' AND tag = 'rare' AND deleted_at IS NULL`,
        )
        .pluck()
        .get() as number;
    const tally = () =>
      db
        .prepare("SELECT n FROM memory_tallies WHERE namespace = 'default' AND facet = 'tag' AND key = 'rare'")
        .pluck()
        .get() as number;
    const live = inRange();
    assert.equal(live, tally());
    const [rare] = memories.list({ namespace: 'default', tags: ['rare'] }, 0, 1);
    memories.softDelete(rare.id, 9_000);
    assert.deepEqual([inRange(), tally()], [live - 1, live - 1]);
    memories.restoreDeleted(rare.id, 'default', new Float32Array(8).fill(1), 9_001);
    assert.deepEqual([inRange(), tally()], [live, live]);
  });
});
