import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { StoreBusy } from '../../common/domain-errors';
import { startTestPostgres, TestPostgres } from '../../testing/postgres-test-server';
import { contentHash } from '../../memories/content-hash';
import { hasIterativeScans, openPostgresDatabase, PostgresUnreachable } from './postgres.connection';
import { freePort } from '../../testing/redis-server';
import { PostgresMemoryStore } from './postgres-memory.store';
import { PostgresSearchStore } from './postgres-search.store';
import { POSTGRES_MIGRATIONS } from './postgres.migrations';
import { PostgresDatabase } from './postgres.database';
import { PostgresConfig } from '../../config/config.types';
import { NewMemory } from '../memory.record';

const MODEL = { modelId: 'pg-model', dimension: 8 };

/** A note in the default namespace written at `at`. */
function note(content: string, at: number, embedding: Float32Array, tags: string[] = []): NewMemory {
  return {
    namespace: 'default',
    contentHash: contentHash(content),
    content,
    memoryType: 'note',
    metadata: {},
    tags,
    createdAt: at,
    updatedAt: at,
    embedding,
  };
}

/** Makes the pool's first connection, again until one is made in time (a loaded machine can take longer). */
async function connectedOnce(db: PostgresDatabase): Promise<void> {
  for (;;) {
    try {
      await db.query('SELECT 1');
      return;
    } catch (error) {
      if (!(error instanceof StoreBusy)) throw error;
    }
  }
}

/** What only the PostgreSQL adapter does; shared behaviour is in storage-contract.spec.ts. */
describe('PostgreSQL adapter', () => {
  let server: TestPostgres;
  let settings: PostgresConfig;
  before(async () => {
    server = await startTestPostgres();
    settings = { url: server.url, poolSize: 4, statementTimeoutMs: 30_000 };
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  it('applies each migration once when several replicas start together, and records it', async () => {
    const replicas = await Promise.all([1, 2, 3].map(() => openPostgresDatabase(settings, MODEL)));
    const rows = await replicas[0].query<{ version: number; name: string }>(
      'SELECT version, name FROM schema_migrations ORDER BY version',
    );
    assert.deepEqual(
      rows,
      POSTGRES_MIGRATIONS.map(({ version, name }) => ({ version, name })),
    );
    const [index] = await replicas[0].query<{ indexdef: string }>(
      "SELECT indexdef FROM pg_indexes WHERE indexname = 'memory_embeddings_hnsw'",
    );
    assert.match(index.indexdef, /USING hnsw \(embedding vector_cosine_ops\)/);
    await Promise.all(replicas.map((db) => db.close()));
  });

  it('names the database and the reason when the server cannot be reached, never the password', async () => {
    const url = `postgres://engram:hunter22-secret@127.0.0.1:${await freePort()}/engram`;
    await assert.rejects(
      () => openPostgresDatabase({ url, poolSize: 1, statementTimeoutMs: 5_000 }),
      (error: Error) =>
        error instanceof PostgresUnreachable &&
        /^Cannot use the PostgreSQL database postgres:\/\/127\.0\.0\.1:\d+\/engram: .*ECONNREFUSED/.test(
          error.message,
        ) &&
        !error.message.includes('hunter22'),
    );
  });

  it('refuses a database whose schema is newer than this build', async () => {
    const db = await openPostgresDatabase(settings, MODEL);
    await db.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)");
    await db.close();
    await assert.rejects(
      () => openPostgresDatabase(settings, MODEL),
      /schema is version 999, newer than this Engram build/,
    );
  });

  it('walks the HNSW index past filtered-out rows above the exact-scan size, finding the true neighbours', async () => {
    const db = await openPostgresDatabase(settings, MODEL);
    const memories = new PostgresMemoryStore(db);
    const stored = await memories.insertMany(
      Array.from({ length: 60 }, (_, i) =>
        note(
          `memory ${i}`,
          i,
          new Float32Array(MODEL.dimension).map((_, d) => Math.cos(i * 0.37 + d * 1.3)),
          i % 10 === 0 ? ['rare'] : [],
        ),
      ),
    );
    const query = new Float32Array(MODEL.dimension).map((_, d) => Math.sin(d + 0.5));
    const filter = { namespace: 'default', tags: ['rare'] };
    const exact = new PostgresSearchStore(db, { iterativeScans: await hasIterativeScans(db) });
    const indexed = new PostgresSearchStore(db, { iterativeScans: await hasIterativeScans(db), exactScanMaxRows: 2 });
    const truth = await exact.vectorCandidates(query, filter, 4);
    // 60 rows are too few for the planner to choose the index on its own; PGlite's connections share
    // one session, so this reaches the pool's connections too.
    await db.query('SET enable_seqscan = off');
    const plan = await db.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT memory_id FROM memory_embeddings ORDER BY embedding <=> $1 LIMIT 4`,
      [`[${Array.from(query).join(',')}]`],
    );
    assert.match(plan.map((row) => row['QUERY PLAN']).join('\n'), /memory_embeddings_hnsw/);
    assert.equal(truth.length, 4);
    assert.ok(truth.every(({ id }) => stored.some((o) => o.memory.id === id && o.memory.tags.includes('rare'))));
    assert.deepEqual(
      (await indexed.vectorCandidates(query, filter, 4)).map(({ id }) => id),
      truth.map(({ id }) => id),
    );
    assert.deepEqual(
      (await indexed.vectorCandidates(query, { namespace: 'default' }, 5)).map(({ id }) => id),
      (await exact.vectorCandidates(query, { namespace: 'default' }, 5)).map(({ id }) => id),
    );
    await db.query('RESET enable_seqscan');
    await db.close();
  });

  it('bounds keyword ranking as SQLite does: common words rank the newest matches, rare words only their holders', async () => {
    const db = await openPostgresDatabase(settings, MODEL);
    const memories = new PostgresMemoryStore(db);
    const texts = ['weather weather weather weather report', ...Array.from({ length: 30 }, (_, i) => `weather ${i}`)];
    texts.push('zebra weather sighting', 'a zebra at dawn');
    const stored = await memories.insertMany(
      texts.map((content, i) => note(content, i, new Float32Array(MODEL.dimension).fill(1))),
    );
    const ids = stored.map((outcome) => outcome.memory.id);
    const bounded = new PostgresSearchStore(db, {
      iterativeScans: false,
      keywordBounds: { commonTermRows: 20, recentMatchesRanked: 10 },
    });
    const unbounded = new PostgresSearchStore(db, { iterativeScans: false });
    const filter = { namespace: 'default' };
    const newestHolders = ids.slice(0, -1).slice(-10);
    // Counted, then (after ANALYZE, as autovacuum runs it) estimated from the planner's statistics.
    for (const statistics of ['counted', 'estimated']) {
      if (statistics === 'estimated') await db.query('ANALYZE memories');
      // 32 memories hold "weather": common. Only the 10 newest are ranked, so the oldest, best match is not.
      assert.equal((await unbounded.keywordCandidates(['weather'], filter, 1))[0].id, ids[0]);
      const common = await bounded.keywordCandidates(['weather'], filter, 20);
      assert.deepEqual(common.map((hit) => hit.id).sort(), [...newestHolders].sort(), statistics);
      // "zebra" is rare: only its two holders are ranked, by the full query (the one with both words first).
      assert.deepEqual(
        (await bounded.keywordCandidates(['zebra', 'weather'], filter, 10)).map((hit) => hit.id),
        ids.slice(-2),
        statistics,
      );
    }
    await db.close();
  });

  it('answers StoreBusy (503), not an internal error, when every connection stays taken', async () => {
    // One connection and a short wait for it, so the refused query gives up soon. The connection is made
    // first, however long a loaded machine takes, and then taken: only the wait for it is timed.
    const db = new PostgresDatabase({ ...settings, poolSize: 1, statementTimeoutMs: 1000 });
    await connectedOnce(db);
    let release!: () => void;
    let held!: Promise<void>;
    await new Promise<void>((taken, failed) => {
      held = db.transaction(() => {
        taken();
        return new Promise<void>((resolve) => (release = resolve));
      });
      held.catch(failed);
    });
    await assert.rejects(
      () => db.query('SELECT 1'),
      (error) => error instanceof StoreBusy && error.status === 503,
    );
    release();
    await held;
    assert.deepEqual(await db.query('SELECT 1 AS one'), [{ one: 1 }]);
    await db.close();
  });
});
