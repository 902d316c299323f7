import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { contentHash } from '../../memories/content-hash';
import { nodesOf, openPlannedStores, planOf, PlanNode, statementsOf } from '../../testing/postgres-plans';
import { NewMemory } from '../memory.record';
import { PostgresStores } from './postgres.stores';

const MODEL = { modelId: 'pg-model', dimension: 8 };
const MEMORIES = 120;
const PAGE = 10;

function memory(i: number): NewMemory {
  const content = `memory ${i}`;
  return {
    namespace: 'default',
    contentHash: contentHash(content),
    content,
    memoryType: 'note',
    metadata: {},
    tags: ['work', `group-${i % 3}`],
    createdAt: 1_000 + i,
    updatedAt: 1_000 + i,
    embedding: new Float32Array(MODEL.dimension).fill(1),
  };
}

/** The Limit node that counts a page off (its OFFSET skips rows), and whether any subplan runs below it. */
function subplansUnderLimit(plan: PlanNode): { limits: number; subplans: number } {
  const limits = nodesOf(plan).filter((node) => node['Node Type'] === 'Limit');
  const subplans = limits.flatMap(nodesOf).filter((node) => node['Parent Relationship'] === 'SubPlan');
  return { limits: limits.length, subplans: subplans.length };
}

/**
 * A deep page of memories (GET /api/memories) or of the trash costs a walk past the rows before it, not a
 * tag look-up for each of them: PostgreSQL projects every row an OFFSET skips, so with the tags and links
 * selected beside the page's ids, the last page of 100,000 memories looked up 100,000 memories' tags.
 */
describe('deep pages of memories and of the trash (PostgreSQL)', () => {
  let stores: PostgresStores;
  before(async () => {
    stores = await openPlannedStores(MODEL);
    const stored = await stores.memories.insertMany(Array.from({ length: MEMORIES }, (_, i) => memory(i)));
    // A third deleted; a third of those stored and deleted again, so their older tombstones are not listed.
    let at = 10_000;
    for (const { memory: deleted } of stored.filter((_, i) => i % 3 === 0)) {
      await stores.memories.softDelete(deleted.id, at++);
    }
    const again = await stores.memories.insertMany(
      Array.from({ length: MEMORIES }, (_, i) => i)
        .filter((i) => i % 9 === 0)
        .map(memory),
    );
    for (const { memory: deleted } of again) await stores.memories.softDelete(deleted.id, at++);
  });
  after(async () => {
    await stores.close();
  });

  it('lists every memory once, newest first, with its tags, across every page', async () => {
    const expected = await stores.db.query<{ id: number }>(
      "SELECT id FROM memories WHERE namespace = 'default' AND deleted_at IS NULL ORDER BY created_at DESC, id DESC",
    );
    const listed = [];
    for (let offset = 0; offset < MEMORIES; offset += PAGE) {
      listed.push(...(await stores.memories.list({ namespace: 'default' }, offset, PAGE)));
    }
    assert.deepEqual(
      listed.map(({ id }) => id),
      expected.map(({ id }) => id),
    );
    assert.ok(listed.every(({ tags, content }) => tags[0] === `group-${Number(content.split(' ')[1]) % 3}`));
  });

  it("lists each text's newest deletion once, newest first, across every page of the trash", async () => {
    const expected = await stores.db.query<{ id: number }>(
      `SELECT max(id) AS id FROM memories WHERE namespace = 'default' AND deleted_at IS NOT NULL
       GROUP BY content_hash ORDER BY max(deleted_at) DESC`,
    );
    const listed = [];
    for (let offset = 0; offset < MEMORIES; offset += PAGE) {
      listed.push(...(await stores.memories.listDeleted('default', offset, PAGE)));
    }
    assert.equal(await stores.memories.countDeleted('default'), expected.length);
    assert.deepEqual(
      listed.map(({ id }) => id),
      expected.map(({ id }) => id),
    );
  });

  it("looks up a memory page's tags and links for the page's rows only, not for each row its offset skips", async () => {
    for (const filter of [{ namespace: 'default' }, { namespace: 'default', tags: ['group-1'] }]) {
      const [statement] = await statementsOf(stores.db, () => stores.memories.list(filter, 40, PAGE));
      assert.deepEqual(subplansUnderLimit(await planOf(stores.db, statement)), { limits: 1, subplans: 0 });
    }
  });

  it("looks up a trash page's tags and links for the page's rows only, not for each row its offset skips", async () => {
    const [statement] = await statementsOf(stores.db, () => stores.memories.listDeleted('default', 20, PAGE));
    assert.deepEqual(subplansUnderLimit(await planOf(stores.db, statement)), { limits: 1, subplans: 0 });
  });
});
