import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { nodesOf, openPlannedStores, planOf, PlanNode, statementsOf } from '../../testing/postgres-plans';
import { MigratedMemory } from '../memory.record';
import { PostgresStores } from './postgres.stores';

/** Enough memories for the planner to choose as at scale. */
const MEMORIES = 20_000;
const TAGS = ['work', 'travel', 'health', 'family', 'finance'];
const TYPES = ['note', 'fact', 'decision'];

function memory(i: number): MigratedMemory {
  return {
    id: i + 1,
    namespace: 'default',
    contentHash: `h${i}`,
    content: `memory ${i}`,
    memoryType: TYPES[i % TYPES.length],
    metadata: {},
    tags: [TAGS[i % TAGS.length], TAGS[(i * 7) % TAGS.length]].filter((tag, at, all) => all.indexOf(tag) === at),
    createdAt: 1_000 + i,
    updatedAt: 1_000 + i,
    deletedAt: i % 10 === 0 ? 2_000_000 : null,
  };
}

/** The scans of memory rows and tag rows in the plans of every statement `work` issues. */
async function scansOf(stores: PostgresStores, work: () => Promise<unknown>): Promise<PlanNode[]> {
  const statements = await statementsOf(stores.db, work);
  const plans = await Promise.all(statements.map((statement) => planOf(stores.db, statement)));
  return plans
    .flatMap(nodesOf)
    .filter((node) => node['Relation Name'] === 'memories' || node['Relation Name'] === 'memory_tags');
}

/**
 * The namespace's figures (the overview's totals and types, the tag list, the live-memories gauge, the
 * total of an unfiltered page) are read from memory_tallies, kept in the transaction of every write,
 * instead of counting the namespace's memories (and joining them with their tags) for every request.
 */
describe("a namespace's figures are read, not counted (PostgreSQL)", () => {
  let stores: PostgresStores;

  before(async () => {
    stores = await openPlannedStores();
    await stores.memories.importMemories(Array.from({ length: MEMORIES }, (_, i) => memory(i)));
    await stores.db.query('ANALYZE');
  });
  after(async () => {
    await stores.close();
  });

  it('reads the tag counts without a tag row or a memory row', async () => {
    assert.deepEqual(await scansOf(stores, () => stores.memories.tagCounts('default')), []);
    assert.equal((await stores.memories.tagCounts('default')).length, TAGS.length);
  });

  it('reads the totals and types from the tallies, the oldest and newest as the ends of an index', async () => {
    const scans = await scansOf(stores, () => stores.memories.counts('default'));
    assert.equal(scans.length, 2, JSON.stringify(scans));
    for (const scan of scans) {
      assert.match(scan['Node Type'], /^Index (Only )?Scan$/, JSON.stringify(scan));
      assert.equal(scan['Index Name'], 'memories_live_created_id', JSON.stringify(scan));
    }
    assert.equal((await stores.memories.counts('default')).live, MEMORIES - MEMORIES / 10);
  });

  it("reads a page's total over the whole namespace from the tallies, superseded memories left out or not", async () => {
    for (const includeSuperseded of [false, true]) {
      const total = () => stores.memories.count({ namespace: 'default', includeSuperseded });
      assert.deepEqual(await scansOf(stores, total), []);
      assert.equal(await total(), MEMORIES - MEMORIES / 10);
    }
  });

  it("reads the trash's total (texts deleted, each once) from the tallies", async () => {
    assert.deepEqual(await scansOf(stores, () => stores.memories.countDeleted('default')), []);
    assert.equal(await stores.memories.countDeleted('default'), MEMORIES / 10);
  });

  it('reads the store-wide live count from the tallies', async () => {
    assert.deepEqual(await scansOf(stores, () => stores.memories.countAllLive()), []);
  });

  it('folds the changes of many writes, so a read adds up a bounded number of them', async () => {
    const writes = 300;
    for (let i = 0; i < writes; i++) {
      const { id: _id, deletedAt: _deletedAt, ...fields } = memory(MEMORIES + i);
      await stores.memories.insertMany([{ ...fields, embedding: new Float32Array(8).fill(1) }]);
    }
    const [{ count }] = await stores.db.query<{ count: number }>('SELECT count(*) AS count FROM memory_tally_changes');
    // Each write leaves at most five change rows (live, current, its type, two tags) until a fold.
    assert.ok(count < writes, `${count} change rows left after ${writes} writes`);
  });
});
