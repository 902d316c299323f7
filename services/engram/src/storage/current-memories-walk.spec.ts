import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';
import { nodesOf, openPlannedStores, planOf, statementsOf } from '../testing/postgres-plans';
import { makeTempDir } from '../testing/test-app';
import { bindEmbeddingModel } from './embedding-model.binding';
import { NewMemory } from './memory.record';
import { MemoryRepository } from './memory.repository';
import { PostgresStores } from './postgres/postgres.stores';
import { SQLITE_CURRENT_MEMORIES_PAGE, SqliteUsageStore } from './sqlite/sqlite-usage.store';
import { openSqliteDatabase, SqliteDatabase } from './sqlite.connection';
import { currentMemoriesPageParams, USAGE_PAGE } from './usage.sql';
import { VectorIndex } from './vector-index';

const MEMORIES = 3 * USAGE_PAGE;
/** On PostgreSQL: with fewer rows the planner reads small tables whole, whatever the statement allows. */
const PLANNED_MEMORIES = 12 * USAGE_PAGE;

function memory(i: number): NewMemory {
  return {
    namespace: i % 3 === 0 ? 'team' : 'default',
    contentHash: `h${i}`,
    content: `memory ${i}`,
    memoryType: 'note',
    metadata: {},
    tags: [],
    // Newest first in id order, as an import of an old store writes them.
    createdAt: 1_000_000 - i,
    updatedAt: 1_000_000,
    embedding: Float32Array.of(1, 0, 0, 0, 0, 0, 0, 0),
  };
}

/**
 * Walking a namespace's current memories (quality distribution, cleanup, consolidation runs) reads each
 * page as a range of ids: sorting the namespace's memories for every page made a walk quadratic in the
 * namespace's size (34 s at 100,000 memories).
 */
describe("a walk over a namespace's current memories (real SQLite)", () => {
  const dir = makeTempDir();
  let db: SqliteDatabase;

  before(() => {
    const path = join(dir, 'engram.db');
    db = openSqliteDatabase(path, DEFAULT_PRAGMAS);
    bindEmbeddingModel(db, path, { modelId: 'test-8', dimension: 8 });
    new MemoryRepository(db, new VectorIndex(db)).insertMany(Array.from({ length: MEMORIES }, (_, i) => memory(i)));
    db.prepare('UPDATE memories SET deleted_at = 1 WHERE id % 7 = 0').run();
    db.prepare('UPDATE memories SET superseded_by = id + 1 WHERE id % 11 = 0').run();
  });
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('yields every live, current memory of the namespace once, in id order, across pages', async () => {
    const expected = db
      .prepare(
        `SELECT id FROM memories WHERE namespace = 'default' AND deleted_at IS NULL AND superseded_by IS NULL
         ORDER BY id`,
      )
      .pluck()
      .all() as number[];
    const walked: number[] = [];
    for await (const row of new SqliteUsageStore(db).currentMemories('default')) walked.push(row.memoryId);
    assert.ok(expected.length > USAGE_PAGE, 'more than one page');
    assert.deepEqual(walked, expected);
  });

  it("reads a page as a range of ids, never sorting the namespace's memories", () => {
    const plan = (
      db
        .prepare(`EXPLAIN QUERY PLAN ${SQLITE_CURRENT_MEMORIES_PAGE}`)
        .all(...currentMemoriesPageParams('default', 0)) as {
        detail: string;
      }[]
    ).map(({ detail }) => detail);
    assert.ok(
      plan.some((detail) => /^SEARCH m USING .*\(id>\?\)$/.test(detail)),
      JSON.stringify(plan),
    );
    assert.ok(!plan.some((detail) => detail.includes('TEMP B-TREE')), JSON.stringify(plan));
  });
});

describe("a walk over a namespace's current memories (PostgreSQL)", () => {
  let stores: PostgresStores;

  before(async () => {
    stores = await openPlannedStores();
    // Enough memories (an import's bulk path writes them quickly) for the planner to choose as at scale.
    await stores.memories.importMemories(
      Array.from({ length: PLANNED_MEMORIES }, (_, i) => ({ ...memory(i), id: i + 1, deletedAt: null })),
    );
    // Every memory used: the usage table as long as the walk.
    await stores.db.query('INSERT INTO memory_usage (memory_id, retrievals) SELECT id, 1 FROM memories');
    await stores.db.query('UPDATE memories SET deleted_at = 1 WHERE id % 7 = 0');
    await stores.db.query('UPDATE memories SET superseded_by = id + 1 WHERE id % 11 = 0');
    await stores.db.query('ANALYZE');
  });
  after(async () => {
    await stores.close();
  });

  it('yields every live, current memory of the namespace once, in id order, with its signals', async () => {
    const expected = await stores.db.query<{ id: number }>(
      `SELECT id FROM memories WHERE namespace = 'default' AND deleted_at IS NULL AND superseded_by IS NULL
       ORDER BY id`,
    );
    const walked = [];
    for await (const row of stores.usage.currentMemories('default')) walked.push(row);
    assert.ok(expected.length > USAGE_PAGE, 'more than one page');
    assert.deepEqual(
      walked.map((row) => row.memoryId),
      expected.map((row) => row.id),
    );
    assert.ok(walked.every((row) => row.retrievals === 1));
  });

  it("reads a page's usage rows from the page on, never every usage row before it", async () => {
    const statements = await statementsOf(stores.db, async () => {
      for await (const _ of stores.usage.currentMemories('default'));
    });
    const lastPage = statements[statements.length - 1];
    const usage = nodesOf(await planOf(stores.db, lastPage)).filter((node) => node['Relation Name'] === 'memory_usage');
    assert.equal(usage.length, 1);
    assert.ok(usage[0]['Index Cond'], JSON.stringify(usage[0]));
  });
});
