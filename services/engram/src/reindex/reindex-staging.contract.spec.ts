import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteFileRepository } from '../storage/sqlite-file/sqlite-file.repository';
import { AppConfig } from '../config/config.types';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';
import { contentHash } from '../memories/content-hash';
import { bindEmbeddingModel, EmbeddingModel, ModelMismatchPolicy } from '../storage/embedding-model.binding';
import { MemoryRepository } from '../storage/memory.repository';
import { MemoryStore } from '../storage/memory.store';
import { hasIterativeScans, openPostgresDatabase } from '../storage/postgres/postgres.connection';
import { PostgresMemoryStore } from '../storage/postgres/postgres-memory.store';
import { PostgresSearchStore } from '../storage/postgres/postgres-search.store';
import { PostgresSettingsStore } from '../storage/postgres/postgres-settings.store';
import { SearchRepository } from '../storage/search.repository';
import { SearchStore } from '../storage/search.store';
import { SettingsStore } from '../storage/settings.store';
import { openSqliteDatabase } from '../storage/sqlite.connection';
import { SqliteMemoryStore } from '../storage/sqlite/sqlite-memory.store';
import { SqliteSearchStore } from '../storage/sqlite/sqlite-search.store';
import { SqliteSettingsStore } from '../storage/sqlite/sqlite-settings.store';
import { VectorIndex } from '../storage/vector-index';
import { startTestPostgres, TestPostgres } from '../testing/postgres-test-server';
import { makeTempDir } from '../testing/test-app';
import { PostgresReindexStaging } from './postgres-reindex.staging';
import { ReindexStaging } from './reindex-staging';
import { SqliteReindexStaging } from './sqlite-reindex.staging';
import { noteWithVector, vectorOf } from '../testing/text-vectors';

const OLD = { modelId: 'model-a', dimension: 8 };
const NEW = { modelId: 'model-b', dimension: 16 }; // SQLite's bit quantisation wants a multiple of 8
const MEMORIES = 40;

/** One process's view of the store: the api (its model, refusing another's vectors) or a worker (keep-stored). */
interface Opened {
  staging: ReindexStaging;
  memories: MemoryStore;
  search: SearchStore;
  settings: SettingsStore;
  close(): Promise<void>;
}

interface AdapterUnderTest {
  name: string;
  start(): Promise<void>;
  open(model: EmbeddingModel, onMismatch?: ModelMismatchPolicy): Promise<Opened>;
  stop(): Promise<void>;
}

function sqlite(): AdapterUnderTest {
  const path = join(makeTempDir(), 'engram.db');
  const files = new SqliteFileRepository({ storage: {} } as AppConfig);
  return {
    name: 'SQLite',
    start: async () => undefined,
    stop: async () => undefined,
    async open(model, onMismatch) {
      const db = openSqliteDatabase(path, DEFAULT_PRAGMAS);
      bindEmbeddingModel(db, path, model, onMismatch);
      const vectors = new VectorIndex(db);
      vectors.expectModel(model.modelId);
      const memories = new MemoryRepository(db, vectors);
      return {
        staging: new SqliteReindexStaging(db, files, { path, pragmas: { ...DEFAULT_PRAGMAS } }),
        memories: new SqliteMemoryStore(memories),
        search: new SqliteSearchStore(new SearchRepository(db, vectors, memories), vectors),
        settings: new SqliteSettingsStore(db),
        close: async () => {
          db.close();
        },
      };
    },
  };
}

function postgres(): AdapterUnderTest {
  let server: TestPostgres;
  return {
    name: 'PostgreSQL',
    start: async () => {
      server = await startTestPostgres();
    },
    stop: () => server.close(),
    async open(model, onMismatch) {
      const settings = { url: server.url, poolSize: 4, statementTimeoutMs: 30_000 };
      const db = await openPostgresDatabase(settings, model, onMismatch);
      return {
        staging: new PostgresReindexStaging(db),
        memories: new PostgresMemoryStore(db),
        search: new PostgresSearchStore(db, { iterativeScans: await hasIterativeScans(db) }),
        settings: new PostgresSettingsStore(db),
        close: () => db.close(),
      };
    },
  };
}

const memory = (content: string) => noteWithVector(content, OLD.dimension);

/** Stages, for the new model, the first `limit` memories still pending. */
async function stagePending(staging: ReindexStaging, limit = 1_000): Promise<number> {
  const pending = await staging.pending(0, limit);
  await staging.stage(
    pending.map((m) => ({ memoryId: m.id, contentHash: m.contentHash, embedding: vectorOf(m.content, NEW.dimension) })),
  );
  return pending.length;
}

/**
 * The reindex staging port's contract, run against both adapters: an api process (old model) keeps
 * writing while a worker (new model, keep-stored) stages, is killed, resumes and switches.
 */
for (const adapter of [sqlite(), postgres()]) {
  describe(`reindex staging contract: ${adapter.name}`, () => {
    let api: Opened;
    let worker: Opened;
    const byContent = async (content: string) => (await api.memories.findLiveByHash('default', contentHash(content)))!;

    before(async () => {
      await adapter.start();
      api = await adapter.open(OLD);
      await api.memories.insertMany(Array.from({ length: MEMORIES }, (_, i) => memory(`note ${i} on topic ${i % 7}`)));
      worker = await adapter.open(NEW, 'keep-stored');
    });
    after(async () => {
      await api.close();
      await worker.close();
      await adapter.stop();
    });

    it('resumes after a crash with only what was not staged pending', async () => {
      assert.equal(await worker.staging.storedModel(), OLD.modelId);
      assert.deepEqual(await worker.staging.begin(NEW.modelId, NEW.dimension), { resumed: false });
      assert.equal(await stagePending(worker.staging, 15), 15);
      await worker.close();
      worker = await adapter.open(NEW, 'keep-stored');
      assert.deepEqual(await worker.staging.begin(NEW.modelId, NEW.dimension), { resumed: true });
      assert.equal(await worker.staging.countLive(), MEMORIES);
      assert.equal(await worker.staging.countPending(), MEMORIES - 15);
    });

    it('makes a memory edited after staging pending again, and forgets deleted ones', async () => {
      const staged = await byContent('note 0 on topic 0');
      const content = 'note 0, edited while the reindex ran';
      await api.memories.update(staged.id, 'default', {
        content,
        contentHash: contentHash(content),
        embedding: vectorOf(content, OLD.dimension),
        updatedAt: 2,
      });
      await api.memories.softDelete((await byContent('note 39 on topic 4')).id, 3);
      assert.equal(await worker.staging.countLive(), MEMORIES - 1);
      assert.equal(await worker.staging.countPending(), MEMORIES - 15); // one more, one fewer
      assert.ok((await worker.staging.pending(0, 1)).some((m) => m.content === content));
      const all = (await worker.staging.pending(0, MEMORIES)).map((m) => m.id);
      const middle = all[Math.floor(all.length / 2)];
      assert.deepEqual(
        (await worker.staging.pending(middle, 5)).map((m) => m.id),
        all.filter((id) => id > middle).slice(0, 5),
        'after an id: the next pending memories past it, in id order',
      );
      assert.deepEqual(await worker.staging.pending(all[all.length - 1], MEMORIES), [], 'after the last');
    });

    it('refuses to switch while a memory stored after staging has no staged vector, changing nothing', async () => {
      await stagePending(worker.staging);
      await api.memories.insertMany([memory('a note stored just before the switch')]);
      assert.deepEqual(await worker.staging.switchToStaged(), { switched: false, pending: 1 });
      assert.deepEqual(await worker.settings.embeddingModel(), OLD);
    });

    it('switches every live memory to its staged vector and the settings to the new model, in one step', async () => {
      await stagePending(worker.staging);
      const outcome = await worker.staging.switchToStaged();
      assert.ok(outcome.switched);
      assert.equal(outcome.vectors, MEMORIES); // 40 - 1 deleted + 1 stored late
      assert.deepEqual(await worker.settings.embeddingModel(), NEW);

      // The api restarted with the new model reads the new vectors.
      await api.close();
      api = await adapter.open(NEW);
      const live = await api.memories.exportPage(undefined, 0, 1_000);
      const vectors = await api.search.embeddingsOf(live.map((m) => m.id));
      assert.equal(vectors.size, MEMORIES);
      for (const m of live) assert.deepEqual(vectors.get(m.id), vectorOf(m.content, NEW.dimension), m.content);
      const deleted = await api.memories.listDeleted('default', 0, 10);
      assert.equal((await api.search.embeddingsOf(deleted.map((m) => m.id))).size, 0);
    });

    it('empties the staging on switch, and starts over when the target model changes', async () => {
      assert.deepEqual(await worker.staging.begin(NEW.modelId, NEW.dimension), { resumed: false });
      await stagePending(worker.staging, 5);
      assert.deepEqual(await worker.staging.begin('model-c', 24), { resumed: false });
      assert.equal(await worker.staging.countPending(), await worker.staging.countLive());
    });
  });
}
