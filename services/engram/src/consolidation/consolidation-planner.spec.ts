import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';
import { seededRandom } from '../testing/seeded-random';
import { makeTempDir } from '../testing/test-app';
import { NewMemory } from '../storage/memory.record';
import { openSqliteStores, SqliteStores } from '../storage/sqlite/sqlite.stores';
import { ConsolidationPlanner, MAX_PROPOSALS } from './consolidation-planner';

const DIMENSION = 64;
const DAY_MS = 86_400_000;
const NOW = Date.UTC(2026, 11, 1);
const STALE = MAX_PROPOSALS * 2 + 100;
const DUPLICATE_PAIRS = 3;

/** Deterministic unit vectors far apart from each other (random directions in 64 dimensions). */
function vector(seed: number): Float32Array {
  const random = seededRandom(seed);
  const out = Float32Array.from({ length: DIMENSION }, () => random() * 2 - 1);
  const norm = Math.hypot(...out);
  return out.map((x) => x / norm);
}

function memory(i: number, embedding: Float32Array, content = `memory number ${i}`): NewMemory {
  return {
    namespace: 'default',
    contentHash: `hash-${i}`,
    content,
    memoryType: 'note',
    metadata: {},
    tags: [],
    createdAt: NOW - (400 + i) * DAY_MS,
    updatedAt: NOW - (400 + i) * DAY_MS,
    embedding,
  };
}

/**
 * A consolidation plan in a namespace where nearly every memory is stale (an old import never searched):
 * the set holds MAX_PROPOSALS, merges first, and only the memories it lists are read with their text.
 */
describe('consolidation planner: a namespace of stale memories (real SQLite)', () => {
  const dir = makeTempDir();
  let stores: SqliteStores;
  const readIds: number[] = [];

  before(async () => {
    stores = openSqliteStores({
      path: join(dir, 'engram.db'),
      pragmas: DEFAULT_PRAGMAS,
      model: { modelId: 'test-64', dimension: DIMENSION },
    });
    const duplicates = Array.from({ length: DUPLICATE_PAIRS * 2 }, (_, i) => {
      const pair = Math.floor(i / 2);
      const text = `pair ${pair} of near duplicates${i % 2 ? ', said again' : ''}`;
      return memory(STALE + i, vector(10_000 + pair), text);
    });
    const stale = Array.from({ length: STALE }, (_, i) => memory(i, vector(i + 1)));
    await stores.memories.insertMany([...stale, ...duplicates]);
    const findLiveByIds = stores.memories.findLiveByIds.bind(stores.memories);
    stores.memories.findLiveByIds = (namespace, ids) => {
      readIds.push(...ids);
      return findLiveByIds(namespace, ids);
    };
  });
  after(async () => {
    await stores.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists merges, then the oldest stale memories, counts the rest, and reads only those it lists', async () => {
    const planner = new ConsolidationPlanner(stores.usage, stores.search, stores.memories);
    const plan = await planner.plan('default', { similarity: 0.95, staleDays: 30 }, NOW, async () => {});

    assert.equal(plan.scanned, STALE + DUPLICATE_PAIRS * 2);
    assert.equal(plan.proposals.length, MAX_PROPOSALS);
    const merges = plan.proposals.filter((proposal) => proposal.kind === 'merge');
    assert.equal(merges.length, DUPLICATE_PAIRS);
    assert.ok(plan.proposals.slice(0, DUPLICATE_PAIRS).every((proposal) => proposal.kind === 'merge'));
    const archived = plan.proposals.flatMap((proposal) => (proposal.kind === 'archive' ? [proposal.member] : []));
    const mergedHashes = new Set(merges.flatMap((proposal) => proposal.members.map((member) => member.contentHash)));
    assert.ok(archived.every((member) => !mergedHashes.has(member.contentHash)));
    const oldestFirst = [...archived].sort((a, b) => a.createdAt - b.createdAt);
    assert.deepEqual(archived, oldestFirst);
    // The oldest of all are the duplicates (merged) and then the stale ones from the highest number down.
    assert.equal(archived[0].contentHash, `hash-${STALE - 1}`);
    // Every stale memory not listed is counted for the next run.
    assert.equal(plan.leftOut, STALE + DUPLICATE_PAIRS - MAX_PROPOSALS);
    // Read with their text: the duplicates' pairs and the listed archives, never the whole namespace.
    assert.ok(readIds.length <= MAX_PROPOSALS + DUPLICATE_PAIRS * 2, `read ${readIds.length} memories`);
  });
});
