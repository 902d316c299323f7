import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PostgresConfig } from '../config/config.types';
import { EmbeddingService } from '../embeddings/embedding.service';
import { EventBus } from '../events/event-bus';
import { LocalEventRelay } from '../events/local-event.relay';
import { JobContext } from '../jobs/job-processor';
import { SqliteLockRepository } from '../storage/locks/sqlite-lock.repository';
import { StoreLocks } from '../storage/locks/store-locks';
import { contentHash } from '../memories/content-hash';
import { EmbeddingModelMismatch } from '../storage/embedding-model.binding';
import { hasIterativeScans, openPostgresDatabase } from '../storage/postgres/postgres.connection';
import { PostgresDatabase } from '../storage/postgres/postgres.database';
import { PostgresMemoryStore } from '../storage/postgres/postgres-memory.store';
import { PostgresSearchStore } from '../storage/postgres/postgres-search.store';
import { startTestPostgres, TestPostgres } from '../testing/postgres-test-server';
import { makeTempDir } from '../testing/test-app';
import { PostgresReindexStaging } from './postgres-reindex.staging';
import { ReindexService } from './reindex.service';
import { noteWithVector, vectorOf } from '../testing/text-vectors';

const OLD = { modelId: 'model-a', dimension: 8 };
const NEW = { modelId: 'model-b', dimension: 12 };
const MEMORIES = 40;

const memory = (content: string) => noteWithVector(content, OLD.dimension);

/** Stages, for the new model, every memory still pending; answers how many. */
async function stagePending(staging: PostgresReindexStaging): Promise<number> {
  const pending = await staging.pending(0, 1_000);
  await staging.stage(
    pending.map((m) => ({ memoryId: m.id, contentHash: m.contentHash, embedding: vectorOf(m.content, NEW.dimension) })),
  );
  return pending.length;
}

async function vectorColumnType(db: PostgresDatabase): Promise<string> {
  const [row] = await db.query<{ type: string }>(
    `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute
     WHERE attrelid = 'memory_embeddings'::regclass AND attname = 'embedding'`,
  );
  return row.type;
}

async function settingsOf(db: PostgresDatabase): Promise<Record<string, string>> {
  const rows = await db.query<{ key: string; value: string }>('SELECT key, value FROM settings');
  return Object.fromEntries(rows.map((row) => [row.key, row.value]));
}

/** What only the PostgreSQL adapter does; the port's behaviour is in reindex-staging.contract.spec.ts. */
describe('reindex on PostgreSQL', () => {
  let server: TestPostgres;
  let settings: PostgresConfig;
  let db: PostgresDatabase;
  let staging: PostgresReindexStaging;
  let memories: PostgresMemoryStore;
  const byContent = async (content: string) => (await memories.findLiveByHash('default', contentHash(content)))!;

  before(async () => {
    server = await startTestPostgres();
    settings = { url: server.url, poolSize: 4, statementTimeoutMs: 30_000 };
    db = await openPostgresDatabase(settings, OLD);
    memories = new PostgresMemoryStore(db);
    await memories.insertMany(Array.from({ length: MEMORIES }, (_, i) => memory(`note ${i} about topic ${i % 7}`)));
    staging = new PostgresReindexStaging(db);
  });
  after(async () => {
    await db.close();
    await server.close();
  });

  it('leaves the live vector table and the settings as they were when a switch is refused', async () => {
    await assert.rejects(() => openPostgresDatabase(settings, NEW), EmbeddingModelMismatch); // the api's policy
    await staging.begin(NEW.modelId, NEW.dimension);
    await stagePending(staging);
    await memories.insertMany([memory('a note stored while the reindex was finishing')]);

    assert.deepEqual(await staging.switchToStaged(), { switched: false, pending: 1 });
    const current = await settingsOf(db);
    assert.equal(current.embedding_model, OLD.modelId);
    assert.equal(current.embedding_dimension, String(OLD.dimension));
    assert.equal(await vectorColumnType(db), `vector(${OLD.dimension})`);
    const [staged] = await db.query<{ count: number }>('SELECT count(*) AS count FROM reindex_vectors');
    assert.equal(staged.count, MEMORIES);
  });

  it('swaps in the table built beside the live one: new dimension, HNSW cosine index, usual names, changes since caught up', async () => {
    // Changes since the refused attempt built its table: one memory deleted, one edited and staged again.
    await memories.softDelete((await byContent('note 5 about topic 5')).id, 7);
    const edited = await byContent('note 6 about topic 6');
    const content = 'note 6, rewritten after the first switch attempt';
    await memories.update(edited.id, 'default', {
      content,
      contentHash: contentHash(content),
      embedding: vectorOf(content, OLD.dimension),
      updatedAt: 8,
    });
    assert.equal(await stagePending(staging), 2); // the late memory and the edited one
    const outcome = await staging.switchToStaged();
    assert.ok(outcome.switched);
    assert.equal(outcome.vectors, MEMORIES); // 40 - 1 deleted + 1 stored late

    assert.equal(await vectorColumnType(db), `vector(${NEW.dimension})`);
    const indexes = await db.query<{ indexname: string; indexdef: string }>(
      "SELECT indexname, indexdef FROM pg_indexes WHERE tablename LIKE 'memory_embeddings%' ORDER BY indexname",
    );
    assert.deepEqual(
      indexes.map((index) => index.indexname),
      ['memory_embeddings_hnsw', 'memory_embeddings_pkey'],
    );
    assert.match(indexes[0].indexdef, /ON public\.memory_embeddings USING hnsw \(embedding vector_cosine_ops\)/);
    const [vector] = await db.query<{ embedding: string }>(
      'SELECT embedding::text AS embedding FROM memory_embeddings WHERE memory_id = $1',
      [edited.id],
    );
    assert.deepEqual(Float32Array.from(JSON.parse(vector.embedding) as number[]), vectorOf(content, NEW.dimension));
    const [left] = await db.query<{ count: number }>(
      `SELECT (SELECT count(*) FROM reindex_vectors) + (SELECT count(*) FROM reindex_target)
         + (SELECT count(*) FROM memory_embeddings e JOIN memories m ON m.id = e.memory_id AND m.deleted_at IS NOT NULL)
       AS count`,
    );
    assert.equal(left.count, 0);
  });

  it('searches the new vectors (the index query path too), stores at the new dimension, and binds only the new model', async () => {
    const search = new PostgresSearchStore(db, { iterativeScans: await hasIterativeScans(db), exactScanMaxRows: 2 });
    const probe = 'note 23 about topic 2';
    const [hit] = await search.vectorCandidates(vectorOf(probe, NEW.dimension), { namespace: 'default' }, 1);
    assert.equal((await memories.findLiveByIds('default', [hit.id]))[0].content, probe);
    assert.ok(hit.distance < 1e-6);

    const fresh = { ...memory('a note stored after the switch'), embedding: vectorOf('after', NEW.dimension) };
    assert.equal((await memories.insertMany([fresh]))[0].created, true);
    await assert.rejects(() => openPostgresDatabase(settings, OLD), EmbeddingModelMismatch);
    await (await openPostgresDatabase(settings, NEW)).close();
  });
});

describe('ReindexService on the PostgreSQL port', () => {
  let server: TestPostgres;
  let db: PostgresDatabase;

  before(async () => {
    server = await startTestPostgres();
    db = await openPostgresDatabase({ url: server.url, poolSize: 4, statementTimeoutMs: 30_000 }, OLD);
  });
  after(async () => {
    await db.close();
    await server.close();
  });

  it('re-embeds every memory, catches up with one stored just before the switch, and switches to the new model', async () => {
    const memories = new PostgresMemoryStore(db);
    await memories.insertMany(Array.from({ length: MEMORIES }, (_, i) => memory(`fact ${i} on subject ${i % 5}`)));
    const embedded: string[] = [];
    const embeddings = {
      modelId: NEW.modelId,
      dimension: NEW.dimension,
      embedMany: async (texts: readonly string[]) => {
        embedded.push(...texts);
        return texts.map((text) => vectorOf(text, NEW.dimension));
      },
    } as unknown as EmbeddingService;
    const late = 'a fact stored while the switch was about to start';
    let switches = 0;
    const job: JobContext = {
      jobId: 'test',
      throwIfCancelled: async () => undefined,
      enterFinalStep: async () => undefined,
      setDetails: async () => undefined,
      progress: async (_percent, stage) => {
        if (stage.startsWith('switching') && ++switches === 1) await memories.insertMany([memory(late)]);
      },
    };
    const reindexer = new ReindexService(
      new PostgresReindexStaging(db),
      embeddings,
      new EventBus(new LocalEventRelay()),
      new StoreLocks(new SqliteLockRepository(makeTempDir())),
    );

    const outcome = await reindexer.reindex(job);
    assert.equal(switches, 2); // the first switch was refused: the late memory had no staged vector
    assert.equal(outcome.model, NEW.modelId);
    assert.equal(outcome.previous_model, OLD.modelId);
    assert.equal(outcome.vectors, MEMORIES + 1);
    assert.equal(outcome.embedded, MEMORIES + 1);
    assert.equal(embedded.at(-1), late);
    assert.equal((await settingsOf(db)).embedding_model, NEW.modelId);
    const search = new PostgresSearchStore(db, { iterativeScans: true });
    const [hit] = await search.vectorCandidates(vectorOf(late, NEW.dimension), { namespace: 'default' }, 1);
    assert.equal((await memories.findLiveByIds('default', [hit.id]))[0].content, late);
  });
});
