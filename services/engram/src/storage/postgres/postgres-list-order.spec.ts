import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { nodesOf, openPlannedStores, planOf, PlanNode, statementsOf } from '../../testing/postgres-plans';
import { MigratedLink, MigratedMemory } from '../memory.record';
import { PostgresStores } from './postgres.stores';

/** Enough memories for the planner to choose as at scale (written through the import's bulk path). */
const MEMORIES = 20_000;
const PAGE = 10;

/**
 * `common` on one memory in five, `second` on one in three, `rare` on 50. One memory in ten deleted, each deleted text twice: its two tombstones often share a deletion time, so
 * ties go by id, and now and then the higher id is the earlier deletion. One live memory in fifty is
 * superseded by the next.
 */
function memory(i: number): MigratedMemory {
  const deleted = i % 10 === 0;
  return {
    id: i + 1,
    namespace: 'default',
    contentHash: deleted ? `trashed ${Math.floor(i / 20)}` : `h${i}`,
    content: `memory ${i}`,
    memoryType: 'note',
    metadata: {},
    tags: [...(i % 5 === 0 ? ['common'] : []), ...(i % 3 === 0 ? ['second'] : []), ...(i % 400 === 7 ? ['rare'] : [])],
    createdAt: 1_000 + i,
    updatedAt: 1_000 + i,
    deletedAt: deleted ? 2_000_000 + Math.floor(((i * 7) % MEMORIES) / 100) : null,
  };
}

function supersessions(): MigratedLink[] {
  const links: MigratedLink[] = [];
  for (let i = 1; i + 2 < MEMORIES; i += 50) {
    links.push({ id: i + 1, supersededBy: i + 2, supersedes: null, validTo: 3_000_000 });
    links.push({ id: i + 2, supersededBy: null, supersedes: i + 1, validTo: null });
  }
  return links;
}

/** What the Limit that counts the page off reads: its scans of an index and any sort below it. */
function pageReading(plan: PlanNode) {
  const limits = nodesOf(plan).filter((node) => node['Node Type'] === 'Limit');
  assert.equal(limits.length, 1, JSON.stringify(plan));
  const below = nodesOf(limits[0]);
  return {
    sorts: below.filter((node) => node['Node Type'].endsWith('Sort')).map((node) => node['Node Type']),
    indexScans: below
      .filter((node) => node['Index Name'] !== undefined)
      .map((node) => `${node['Index Name']} ${node['Scan Direction']}`),
  };
}

/**
 * The first page of GET /api/memories (either order) and of the trash is read in an index's order and
 * stops at its tenth row, with no sort. Without an index ending in id, PostgreSQL sorted what it read: the
 * first list page's memories by id within each creation time, a deep page the namespace's every live
 * memory, and any trash page the namespace's whole trash.
 */
describe('pages of memories and of the trash in index order (PostgreSQL)', () => {
  let stores: PostgresStores;

  before(async () => {
    stores = await openPlannedStores();
    await stores.memories.importMemories(Array.from({ length: MEMORIES }, (_, i) => memory(i)));
    await stores.memories.importLinks(supersessions());
    await stores.db.query('ANALYZE');
  });
  after(async () => {
    await stores.close();
  });

  async function firstPageReading(read: () => Promise<unknown>) {
    const [statement] = await statementsOf(stores.db, read);
    return pageReading(await planOf(stores.db, statement));
  }

  it('reads the first page of the list, newest or oldest first, superseded or not, in index order', async () => {
    const cases = [
      { order: 'newest', includeSuperseded: false, scan: 'memories_live_created_id Backward' },
      { order: 'oldest', includeSuperseded: false, scan: 'memories_live_created_id Forward' },
      { order: 'newest', includeSuperseded: true, scan: 'memories_live_created_id Backward' },
    ] as const;
    for (const { order, includeSuperseded, scan } of cases) {
      const reading = await firstPageReading(() =>
        stores.memories.list({ namespace: 'default', includeSuperseded }, 0, PAGE, order),
      );
      assert.deepEqual(reading, { sorts: [], indexScans: [scan] }, `${order}, superseded ${includeSuperseded}`);
    }
  });

  it('finds memories by the start of their hash along the live-hash index, stopping after a few rows', async () => {
    const [statement] = await statementsOf(stores.db, () => stores.memories.findLiveByHashPrefix('default', 'h123', 6));
    const plan = await planOf(stores.db, statement);
    // The Limit reads the index range itself, in its order: no sort, and no other scan of the memories
    // (the subplans below read each found memory's tags and links).
    const limit = nodesOf(plan).find((node) => node['Node Type'] === 'Limit');
    const driving = limit?.Plans?.[0];
    assert.deepEqual(
      [driving?.['Node Type'], driving?.['Index Name'], driving?.['Scan Direction']],
      ['Index Scan', 'memories_live_hash', 'Forward'],
      JSON.stringify(plan),
    );
    // Bounded on both sides by the index itself, not the namespace's hashes read from the first and filtered.
    assert.match(driving?.['Index Cond'] ?? '', /content_hash >= .*content_hash < /, JSON.stringify(driving));
    // Memory 1230 is deleted (and holds another text): after h123 come h12301 on.
    const found = await stores.memories.findLiveByHashPrefix('default', 'h123', 6);
    assert.deepEqual(
      found.map((memory) => memory.contentHash),
      ['h123', 'h12301', 'h12302', 'h12303', 'h12304', 'h12305'],
    );
  });

  it('finds the trash by the start of a hash along its hash index, each text once, with no sort', async () => {
    const find = () => stores.memories.findDeletedByHashPrefix('default', 'trashed 1', 6);
    const [statement] = await statementsOf(stores.db, find);
    const plan = await planOf(stores.db, statement);
    const reading = pageReading(plan);
    assert.deepEqual([reading.sorts, reading.indexScans[0]], [[], 'memories_deleted Forward'], JSON.stringify(plan));
    const range = nodesOf(plan).find((node) => node['Index Name'] === 'memories_deleted');
    assert.match(range?.['Index Cond'] ?? '', /content_hash >= .*content_hash < /, JSON.stringify(range));
    const found = await find();
    assert.deepEqual(
      found.map((memory) => memory.contentHash),
      ['trashed 1', 'trashed 10', 'trashed 100', 'trashed 101', 'trashed 102', 'trashed 103'],
    );
    for (const tombstone of found) {
      assert.deepEqual(tombstone, await stores.memories.findDeletedByHash('default', tombstone.contentHash));
    }
  });

  it("reads the first trash page in deletion order, checking each tombstone is its text's newest", async () => {
    const reading = await firstPageReading(() => stores.memories.listDeleted('default', 0, PAGE));
    assert.deepEqual(reading.sorts, []);
    assert.deepEqual(reading.indexScans, ['memories_trash_by_time Backward', 'memories_deleted Forward']);
  });

  it("lists each text's newest deletion, ties by id, on the first and the last trash page", async () => {
    const newest = await stores.db.query<{ id: number }>(
      `SELECT id FROM (SELECT DISTINCT ON (content_hash) id, deleted_at FROM memories
         WHERE namespace = 'default' AND deleted_at IS NOT NULL ORDER BY content_hash, deleted_at DESC, id DESC) t
       ORDER BY deleted_at DESC, id DESC`,
    );
    const last = newest.length - PAGE;
    for (const offset of [0, last]) {
      const page = await stores.memories.listDeleted('default', offset, PAGE);
      assert.deepEqual(
        page.map(({ id }) => id),
        newest.slice(offset, offset + PAGE).map(({ id }) => id),
      );
    }
  });

  it('reads a page after a position deep in the list, newest or oldest first, through filters, in index order', async () => {
    const position = { createdAt: 1_000 + MEMORIES / 2, id: MEMORIES / 2 + 1 };
    const cases = [
      { filter: {}, order: 'newest', scan: 'memories_live_created_id Backward' },
      { filter: {}, order: 'oldest', scan: 'memories_live_created_id Forward' },
      { filter: { includeSuperseded: true }, order: 'newest', scan: 'memories_live_created_id Backward' },
      {
        filter: { createdFromMs: 1_000, createdBeforeMs: 1_000 + MEMORIES },
        order: 'newest',
        scan: 'memories_live_created_id Backward',
      },
    ] as const;
    for (const { filter, order, scan } of cases) {
      const reading = await firstPageReading(() =>
        stores.memories.listAfter({ namespace: 'default', ...filter }, position, PAGE, order),
      );
      assert.deepEqual(reading, { sorts: [], indexScans: [scan] }, `${JSON.stringify(filter)}, ${order}`);
    }
  });

  it("reads a trash page after a position deep in the trash in deletion order, checking each tombstone is its text's newest", async () => {
    const position = { deletedAt: 2_000_000 + MEMORIES / 200, id: MEMORIES / 2 + 1 };
    const reading = await firstPageReading(() => stores.memories.listDeletedAfter('default', position, PAGE));
    assert.deepEqual(reading, {
      sorts: [],
      indexScans: ['memories_trash_by_time Backward', 'memories_deleted Forward'],
    });
  });

  /** The plan of the statement that walks a tag's range, of those `read` issues. */
  async function tagWalkPlan(read: () => Promise<unknown>): Promise<PlanNode> {
    const walks = (await statementsOf(stores.db, read)).filter((statement) =>
      statement.sql.includes('FROM memory_tags tagged'),
    );
    assert.equal(walks.length, 1, JSON.stringify(walks));
    return planOf(stores.db, walks[0]);
  }

  it("reads a tag's page, the first, after a position deep in or a few pages in, as a range of its index in order", async () => {
    const filter = { namespace: 'default', tags: ['common'] };
    const position = { createdAt: 1_000 + MEMORIES / 2, id: MEMORIES / 2 + 1 };
    for (const order of ['newest', 'oldest'] as const) {
      const reads = {
        first: () => stores.memories.listAfter(filter, undefined, PAGE, order),
        after: () => stores.memories.listAfter(filter, position, PAGE, order),
        // Near the start: deeper, an offset page reads the rows before it either way, and the planner may
        // hash the tag's memories and sort them instead, when that costs it less.
        offset: () => stores.memories.list(filter, 100, PAGE, order),
      };
      for (const [start, read] of Object.entries(reads)) {
        const reading = pageReading(await tagWalkPlan(read));
        const where = `${order}, ${start}: ${JSON.stringify(reading)}`;
        assert.deepEqual(reading.sorts, [], where);
        assert.equal(
          reading.indexScans[0],
          `memory_tags_live_created ${order === 'newest' ? 'Backward' : 'Forward'}`,
          where,
        );
      }
    }
  });

  it("walks all of several tags along the rarest one's range, by the tag tallies", async () => {
    const plan = await tagWalkPlan(() =>
      stores.memories.listAfter(
        { namespace: 'default', tags: ['common', 'rare', 'second'], tagMatch: 'all' },
        undefined,
        PAGE,
        'newest',
      ),
    );
    assert.deepEqual(pageReading(plan).sorts, []);
    const [range] = nodesOf(plan).filter((node) => node['Index Name'] === 'memory_tags_live_created');
    assert.match(range['Index Cond'] ?? '', /tag = 'rare'::text/);
  });

  it("counts all of several tags as one look-up of the tag index each, never grouping every tag's memories", async () => {
    for (const tags of [
      ['common', 'rare'],
      ['common', 'second', 'rare'],
    ]) {
      const filter = { namespace: 'default', tags, tagMatch: 'all' as const };
      const [statement] = await statementsOf(stores.db, () => stores.memories.count(filter));
      const grouped = nodesOf(await planOf(stores.db, statement)).filter((node) => node['Group Key'] !== undefined);
      assert.deepEqual(grouped, [], statement.sql);
    }
  });

  it("takes a deleted memory's tags out of the tag's range and puts a restored one's back (the copies' trigger)", async () => {
    const inRange = async () =>
      (
        await stores.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM memory_tags WHERE namespace = 'default' AND tag = 'rare' AND deleted_at IS NULL`,
        )
      )[0].n;
    const live = await inRange();
    assert.equal(live, await stores.memories.count({ namespace: 'default', tags: ['rare'], includeSuperseded: true }));
    const [rare] = await stores.memories.list({ namespace: 'default', tags: ['rare'] }, 0, 1);
    await stores.memories.softDelete(rare.id, 9_000_000);
    assert.equal(await inRange(), live - 1);
    await stores.memories.restoreDeleted(rare.id, 'default', new Float32Array(8).fill(1), 9_000_001);
    assert.equal(await inRange(), live);
  });
});
