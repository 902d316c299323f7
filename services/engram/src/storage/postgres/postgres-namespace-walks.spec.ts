import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { nodesOf, openPlannedStores, planOf, statementsOf } from '../../testing/postgres-plans';
import { MigratedMemory } from '../memory.record';
import { PostgresStores } from './postgres.stores';

/**
 * Enough memories for the planner to choose as at scale (an import's bulk path writes them quickly; no
 * vectors, which the walks never read).
 */
const MEMORIES = 50_000;
/** One memory in this many is the small namespace's. */
const SHARE = 100;

function memory(i: number): MigratedMemory {
  return {
    id: i + 1,
    // A small tenant's memories among a large one's, interleaved in id order as they are written.
    namespace: i % SHARE === 0 ? 'team' : 'default',
    contentHash: `h${i}`,
    content: `memory ${i}`,
    memoryType: 'note',
    metadata: {},
    tags: [],
    createdAt: 1_000 + i,
    updatedAt: 1_000 + i,
    deletedAt: i % 9 === 0 ? 2_000_000 : null,
  };
}

/**
 * The walks through one namespace after the last id read (export, the conflict scan, quality distribution,
 * consolidation) read each page as a range of that namespace's ids. Without an index in namespace and id
 * order, a page of one namespace among others intersected the namespace's whole index with every id after
 * the page, so a walk cost its pages times the store. The walk in creation order (the memory-file indexer's)
 * reads each page as a range of the namespace's creation times likewise.
 */
describe("walks through one namespace's memories in id order (PostgreSQL)", () => {
  let stores: PostgresStores;

  before(async () => {
    stores = await openPlannedStores();
    await stores.memories.importMemories(Array.from({ length: MEMORIES }, (_, i) => memory(i)));
    await stores.db.query('ANALYZE');
  });
  after(async () => {
    await stores.close();
  });

  /** The one scan of `memories` in the plan of the last statement `walk` issues (its deepest page). */
  async function lastPageScan(walk: () => Promise<unknown>) {
    const statements = await statementsOf(stores.db, walk);
    const plan = await planOf(stores.db, statements[statements.length - 1]);
    return nodesOf(plan).filter((node) => node['Relation Name'] === 'memories' && node.Alias === 'm');
  }

  it("exports a namespace's memories, trash included or not, each once in id order", async () => {
    for (const trash of [false, true]) {
      const expected = Array.from({ length: MEMORIES }, (_, i) => memory(i))
        .filter((row) => row.namespace === 'team' && (trash || row.deletedAt === null))
        .map((row) => row.id);
      const exported: number[] = [];
      for (let afterId = 0; ;) {
        const page = await stores.memories.exportPage('team', afterId, 100, trash);
        if (page.length === 0) break;
        exported.push(...page.map(({ id }) => id));
        afterId = exported[exported.length - 1];
      }
      assert.deepEqual(exported, expected);
    }
  });

  it("reads an export page (and the conflict scan's) as a range of the namespace's ids", async () => {
    for (const trash of [false, true]) {
      const [scan] = await lastPageScan(() => stores.memories.exportPage('team', MEMORIES / 2, 100, trash));
      assert.equal(scan['Index Name'], 'memories_namespace_id', JSON.stringify(scan));
      assert.match(scan['Index Cond'] ?? '', /namespace = 'team'.*id > /, JSON.stringify(scan));
    }
  });

  it("reads each full page of the current-memories walk as a range of the namespace's ids", async () => {
    // The last page, short of a full one, holds the rest of the namespace: the planner may then read the
    // namespace's live memories in list order (memories_live_created_id) and sort them, once a walk.
    const statements = await statementsOf(stores.db, async () => {
      for await (const _ of stores.usage.currentMemories('team'));
    });
    assert.ok(statements.length > 1);
    for (const statement of statements.slice(0, -1)) {
      const plan = await planOf(stores.db, statement);
      const [scan] = nodesOf(plan).filter((node) => node['Relation Name'] === 'memories' && node.Alias === 'm');
      assert.equal(scan['Index Name'], 'memories_namespace_id', JSON.stringify(scan));
      assert.match(scan['Index Cond'] ?? '', /namespace = 'team'.*id > /, JSON.stringify(scan));
    }
  });

  it("reads a page of a walk in creation order (the memory-file indexer's) as a range of the namespace's creation times", async () => {
    const position = { createdAt: 1_000 + MEMORIES / 2, id: MEMORIES / 2 + 1 };
    for (const filter of [{ namespace: 'team' }, { namespace: 'team', memoryType: 'note' }]) {
      const [statement] = await statementsOf(stores.db, () => stores.memories.listAfter(filter, position, 100));
      const scans = nodesOf(await planOf(stores.db, statement)).filter((node) => node['Relation Name'] === 'memories');
      const range = scans.find((node) => /namespace = 'team'.*created_at >= /.test(node['Index Cond'] ?? ''));
      assert.match(range?.['Index Name'] ?? '', /^memories_live_(created_id|type)$/, JSON.stringify(scans));
    }
  });
});
