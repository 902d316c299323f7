import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { nodesOf, openPlannedStores, planOf, statementsOf } from '../../testing/postgres-plans';
import { MigratedMemory } from '../memory.record';
import { MemoryFilter, memoryFilterSql } from '../memory-filter.sql';
import { hasIterativeScans } from './postgres.connection';
import { numbered } from './postgres.database';
import { PostgresSearchStore } from './postgres-search.store';
import { PostgresStores } from './postgres.stores';

const MEMORIES = 1_000;
/** The exact scan's limit for this store: the tags below fall on both sides of it. */
const EXACT_SCAN_MAX_ROWS = 100;
/** Memories 0..SUPERSEDED-1 are superseded by the next ones; the last TOMBSTONES are in the trash. */
const SUPERSEDED = 40;
const TOMBSTONES = 50;

function tagsOf(i: number): string[] {
  return [
    ...(i % 5 < 3 ? ['common'] : []), // 600 memories
    ...(i % 25 === 1 ? ['rare'] : []), // 40
    ...(i % 8 === 2 ? ['mid'] : []), // 125: above the limit, but not once superseded ones may be left out
    ...(i < SUPERSEDED || i % 15 === 4 ? ['edge'] : []), // 101 live, 40 of them superseded: below the limit
  ];
}

function memory(i: number): MigratedMemory {
  const deletedAt = i >= MEMORIES - TOMBSTONES ? 5_000_000 : null;
  return {
    id: i + 1,
    namespace: 'default',
    contentHash: `h${i}`,
    content: `memory ${i}`,
    memoryType: i % 10 < 3 ? 'fact' : 'note',
    metadata: {},
    tags: tagsOf(i),
    createdAt: 1_000_000 + i * 1_000,
    updatedAt: 1_000_000 + i * 1_000,
    deletedAt,
    embedding: deletedAt === null ? Float32Array.from({ length: 8 }, (_, d) => Math.sin(i * 7 + d)) : undefined,
  };
}

const FILTERS: Record<string, Omit<MemoryFilter, 'namespace'>> = {
  'the whole namespace': {},
  'the whole namespace, superseded included': { includeSuperseded: true },
  'a common tag': { tags: ['common'] },
  'a rare tag': { tags: ['rare'] },
  'a tag near the limit': { tags: ['mid'] },
  'a tag near the limit, superseded included': { tags: ['mid'], includeSuperseded: true },
  'a tag most superseded memories carry': { tags: ['edge'] },
  'any of two tags': { tags: ['rare', 'mid'] },
  'all of two tags': { tags: ['common', 'mid'], tagMatch: 'all' },
  'a type': { memoryType: 'fact' },
  'a type and a tag': { memoryType: 'fact', tags: ['common'] },
  'a common tag in a time window': { tags: ['common'], createdFromMs: 1_000_000 + 800 * 1_000 },
  'a time window': { createdBeforeMs: 1_000_000 + 150 * 1_000 },
};

/** Filters the tallies leave open: the admitted memories are counted, up to the limit. */
const COUNTED = ['all of two tags', 'a type and a tag', 'a common tag in a time window', 'a time window'];

/** Filters the tallies alone decide, without counting the memories they admit. */
const TALLIED = [
  'the whole namespace',
  'the whole namespace, superseded included',
  'a common tag',
  'a rare tag',
  'a tag near the limit',
  'a tag near the limit, superseded included',
  'a tag most superseded memories carry',
  'a type',
];

/**
 * A filtered vector search chooses between an exact scan (few admitted memories) and the HNSW index by how
 * many memories the filter admits. The namespace's tallies decide it for the whole namespace, a tag or a
 * type alone: counting every memory with a common tag cost 50-108 ms at 100,000 memories (PGlite). The
 * choice stays the one an exact count gives.
 */
describe('filtered vector search chooses its path from the tallies (PostgreSQL)', () => {
  let stores: PostgresStores;
  let search: PostgresSearchStore;
  const query = Float32Array.from({ length: 8 }, (_, d) => Math.cos(d));

  before(async () => {
    stores = await openPlannedStores();
    await stores.memories.importMemories(Array.from({ length: MEMORIES }, (_, i) => memory(i)));
    await stores.memories.importLinks(
      Array.from({ length: SUPERSEDED }, (_, i) => [
        { id: i + 1, supersededBy: SUPERSEDED + i + 1, supersedes: null, validTo: 2_000_000 },
        { id: SUPERSEDED + i + 1, supersededBy: null, supersedes: i + 1, validTo: null },
      ]).flat(),
    );
    await stores.db.query('ANALYZE');
    search = new PostgresSearchStore(stores.db, {
      iterativeScans: await hasIterativeScans(stores.db),
      exactScanMaxRows: EXACT_SCAN_MAX_ROWS,
    });
  });
  after(async () => {
    await stores.close();
  });

  async function admitted(filter: MemoryFilter): Promise<number> {
    const where = memoryFilterSql(filter);
    const [row] = await stores.db.query<{ count: number }>(
      `SELECT count(*) AS count FROM memories m WHERE ${numbered(where.sql)}`,
      where.params,
    );
    return row.count;
  }

  /**
   * The path a search with `filter` took, whether it counted the admitted memories to choose it, and how
   * many of its statements read the memories.
   */
  async function pathOf(filter: MemoryFilter) {
    const statements = await statementsOf(stores.db, () => search.vectorCandidates(query, filter, 10));
    return {
      path: statements.some(({ sql }) => /hnsw\.ef_search/.test(sql)) ? 'index' : 'exact scan',
      counted: statements.some(({ sql }) => /count\(\*\)/.test(sql) && /FROM memories m/.test(sql)),
      readingMemories: statements.filter(({ sql }) => /FROM memories m/.test(sql)),
    };
  }

  it('takes the path an exact count of the admitted memories gives', async () => {
    for (const [name, narrowing] of Object.entries(FILTERS)) {
      const filter = { namespace: 'default', ...narrowing };
      const expected = (await admitted(filter)) <= EXACT_SCAN_MAX_ROWS ? 'exact scan' : 'index';
      assert.equal((await pathOf(filter)).path, expected, name);
    }
  });

  it('decides from the tallies without counting for the whole namespace, a tag or a type alone', async () => {
    for (const name of TALLIED) {
      assert.equal((await pathOf({ namespace: 'default', ...FILTERS[name] })).counted, false, name);
    }
    // The tallies leave these open (they only bound them, here on both sides of the limit): they are counted.
    for (const name of COUNTED) {
      assert.equal((await pathOf({ namespace: 'default', ...FILTERS[name] })).counted, true, name);
    }
  });

  it('counts and ranks the memories a filter the tallies leave open admits in one statement, when few', async () => {
    const exactlyScanned = [];
    for (const name of COUNTED) {
      const { path, readingMemories } = await pathOf({ namespace: 'default', ...FILTERS[name] });
      if (path === 'exact scan') exactlyScanned.push(name);
      // An exact scan reads the admitted memories once; a search the index answers also counted them first.
      assert.equal(readingMemories.length, path === 'exact scan' ? 1 : 2, name);
    }
    assert.ok(exactlyScanned.length >= 2, `${exactlyScanned.join(', ')} take the exact scan`);
  });

  it("looks all of several tags up as one range of the tag index each, never grouping every tag's memories", async () => {
    const filter = { namespace: 'default', ...FILTERS['all of two tags'] };
    const statements = await statementsOf(stores.db, async () => {
      await search.vectorCandidates(query, filter, 10);
      await search.vectorCandidates(query, { ...filter, tags: ['mid', 'edge'] }, 10);
      await search.keywordCandidates(['memory'], filter, 10);
    });
    const reading = statements.filter(({ sql }) => /FROM memories m/.test(sql));
    assert.ok(reading.length >= 3, 'the vector and keyword legs read the memories');
    for (const statement of reading) {
      const grouped = nodesOf(await planOf(stores.db, statement)).filter((node) => node['Group Key'] !== undefined);
      assert.deepEqual(grouped, [], statement.sql);
    }
  });
});
