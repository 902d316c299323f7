import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';
import { nodesOf, openPlannedStores, planOf, statementsOf } from '../testing/postgres-plans';
import { plansOf } from '../testing/sqlite-plans';
import { makeTempDir } from '../testing/test-app';
import { bindEmbeddingModel } from './embedding-model.binding';
import { MigratedMemory } from './memory.record';
import { MemoryRepository } from './memory.repository';
import { PostgresStores } from './postgres/postgres.stores';
import { openSqliteDatabase } from './sqlite.connection';
import { VectorIndex } from './vector-index';

const MEMORIES = 10_000;

function hashOf(i: number): string {
  return createHash('sha256').update(`memory ${i}`).digest('hex');
}

function memory(i: number): MigratedMemory {
  return {
    id: i + 1,
    namespace: 'default',
    contentHash: hashOf(i),
    content: `memory ${i}`,
    memoryType: 'note',
    metadata: {},
    tags: [],
    createdAt: 1_000 + i,
    updatedAt: 1_000 + i,
    deletedAt: null,
  };
}

/**
 * `engram get|delete <hash-prefix>` reads a range of the live-hash index, whatever the planner knows. On
 * PostgreSQL the ORDER BY on the hash is what holds it there before any ANALYZE: without it, a new table's
 * look-up walked the namespace in creation order (memories_live_created_id) and filtered every memory out
 * but one (308 buffers at 10,000 memories, against 6), while an analysed table still chose the hash index:
 * only a table without statistics shows the difference.
 */
describe('a hash-prefix look-up reads a range of the live-hash index', () => {
  let stores: PostgresStores;

  before(async () => {
    stores = await openPlannedStores();
    await stores.memories.importMemories(Array.from({ length: MEMORIES }, (_, i) => memory(i)));
  });
  after(async () => {
    await stores.close();
  });

  it('on a PostgreSQL table no ANALYZE has seen yet, bounded on both sides and without a sort', async () => {
    const [{ reltuples }] = await stores.db.query<{ reltuples: number }>(
      "SELECT reltuples FROM pg_class WHERE relname = 'memories'",
    );
    assert.equal(reltuples, -1, 'the table must be unanalysed for this case to mean anything');
    const prefix = hashOf(7).slice(0, 8);
    const [statement] = await statementsOf(stores.db, () => stores.memories.findLiveByHashPrefix('default', prefix, 6));
    const plan = await planOf(stores.db, statement);
    const limit = nodesOf(plan).find((node) => node['Node Type'] === 'Limit');
    const driving = limit?.Plans?.[0];
    assert.deepEqual(
      [driving?.['Node Type'], driving?.['Index Name']],
      ['Index Scan', 'memories_live_hash'],
      JSON.stringify(plan),
    );
    assert.match(driving?.['Index Cond'] ?? '', /content_hash >= .*content_hash < /, JSON.stringify(driving));
    const found = await stores.memories.findLiveByHashPrefix('default', prefix, 6);
    assert.deepEqual(
      found.map((memory) => memory.contentHash),
      [hashOf(7)],
    );
  });

  it('on SQLite, as a search of memories_live_hash on both bounds, in its order', () => {
    const path = join(makeTempDir(), 'engram.db');
    const db = openSqliteDatabase(path, DEFAULT_PRAGMAS);
    try {
      bindEmbeddingModel(db, path, { modelId: 'test-8', dimension: 8 });
      const memories = new MemoryRepository(db, new VectorIndex(db));
      const plans = plansOf(db, () => memories.findLiveByHashPrefix('default', hashOf(7).slice(0, 8), 6));
      const [steps] = plans.filter((plan) => plan.some((step) => / memories\b/.test(step)));
      assert.deepEqual(
        steps,
        ['SEARCH memories USING INDEX memories_live_hash (namespace=? AND content_hash>? AND content_hash<?)'],
        JSON.stringify(plans),
      );
    } finally {
      db.close();
    }
  });
});
