import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PostgresBackupTarget } from '../backups/postgres-backup.target';
import { AppConfig } from '../config/config.types';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';
import { contentHash } from '../memories/content-hash';
import { PostgresReindexStaging } from '../reindex/postgres-reindex.staging';
import { ReindexStaging } from '../reindex/reindex-staging';
import { SqliteReindexStaging } from '../reindex/sqlite-reindex.staging';
import { startTestPostgres, TestPostgres } from '../testing/postgres-test-server';
import { noteWithVector } from '../testing/text-vectors';
import { makeTempDir } from '../testing/test-app';
import { MemoryFilter } from './memory-filter.sql';
import { MemoryCounts, MemoryRecord, NewMemory, TagCount } from './memory.record';
import { MemoryStore } from './memory.store';
import { openPostgresStores } from './postgres/postgres.stores';
import { copyLiveDatabase } from './sqlite-file/database-snapshot';
import { swapInDatabase } from './sqlite-file/database-swap';
import { SqliteFileRepository } from './sqlite-file/sqlite-file.repository';
import { openSqliteStores } from './sqlite/sqlite.stores';

const MODEL = { modelId: 'tally-model', dimension: 8 };
const REINDEXED = { modelId: 'tally-model-2', dimension: 16 };
const T0 = Date.UTC(2026, 0, 1);

/** A store on one engine, with the writes that go around the memory port: a backup's restore, a reindex. */
interface EngineUnderTest {
  name: string;
  open(): Promise<{ memories: MemoryStore; close(): Promise<void> }>;
  /** Copies the store as a backup does; `restore` then puts that copy back as the live contents. */
  backup(): Promise<{ restore(): Promise<void> }>;
  /** Makes any tally a trigger writes fail the write, until the function returned is called. */
  refuseTriggeredTallies(): Promise<() => Promise<void>>;
  reindexing(): ReindexStaging;
  /** Moves a memory to another namespace as SQL would: no path of the port does. */
  moveMemory(id: number, namespace: string): Promise<void>;
}

function sqlite(): EngineUnderTest {
  const folder = makeTempDir();
  const path = join(folder, 'engram.db');
  let opened: ReturnType<typeof openSqliteStores>;
  return {
    name: 'SQLite',
    async open() {
      opened = openSqliteStores({ path, pragmas: DEFAULT_PRAGMAS, model: MODEL });
      return opened;
    },
    async backup() {
      const copy = join(folder, `backup-${Date.now()}.db`);
      copyLiveDatabase(path, copy);
      return {
        restore: async () => void swapInDatabase(path, copy, join(folder, 'replaced.db'), DEFAULT_PRAGMAS),
      };
    },
    async refuseTriggeredTallies() {
      // Migration 030's triggers upsert: an update of a tally row is a trigger's.
      opened.db.exec(`CREATE TRIGGER refuse_triggered_tallies BEFORE UPDATE ON memory_tallies BEGIN
                        SELECT RAISE(ABORT, 'a tally written by a trigger'); END`);
      return async () => void opened.db.exec('DROP TRIGGER refuse_triggered_tallies');
    },
    moveMemory: async (id, namespace) =>
      void opened.db.prepare('UPDATE memories SET namespace = ? WHERE id = ?').run(namespace, id),
    reindexing: () =>
      new SqliteReindexStaging(opened.db, new SqliteFileRepository({ storage: {} } as AppConfig), {
        path,
        pragmas: { ...DEFAULT_PRAGMAS },
      }),
  };
}

function postgres(): EngineUnderTest {
  const folder = makeTempDir();
  let server: TestPostgres;
  let opened: Awaited<ReturnType<typeof openPostgresStores>>;
  return {
    name: 'PostgreSQL',
    async open() {
      server = await startTestPostgres();
      opened = await openPostgresStores({ url: server.url, poolSize: 4, statementTimeoutMs: 30_000 }, MODEL);
      return {
        memories: opened.memories,
        close: async () => {
          await opened.close();
          await server.close();
        },
      };
    },
    async backup() {
      const target = new PostgresBackupTarget(opened.db);
      const copy = join(folder, `backup-${Date.now()}.ndjson`);
      await target.writeCopy(copy);
      return { restore: async () => void (await target.restore(copy, join(folder, 'replaced.ndjson'))) };
    },
    async refuseTriggeredTallies() {
      // Only migration 20's triggers add change rows.
      await opened.db.query(`
        CREATE FUNCTION refuse_triggered_tallies() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION 'a tally written by a trigger'; END $$;
        CREATE TRIGGER refuse_triggered_tallies BEFORE INSERT ON memory_tally_changes
          FOR EACH ROW EXECUTE FUNCTION refuse_triggered_tallies()`);
      return async () =>
        void (await opened.db.query(
          'DROP TRIGGER refuse_triggered_tallies ON memory_tally_changes; DROP FUNCTION refuse_triggered_tallies()',
        ));
    },
    moveMemory: async (id, namespace) =>
      void (await opened.db.query('UPDATE memories SET namespace = $1 WHERE id = $2', [namespace, id])),
    reindexing: () => new PostgresReindexStaging(opened.db),
  };
}

function vector(seed: number, dimension = MODEL.dimension): Float32Array {
  return Float32Array.from({ length: dimension }, (_, i) => Math.cos(seed + i));
}

let written = 0;
function memory(content: string, fields: Partial<NewMemory> = {}): NewMemory {
  written += 1;
  const at = T0 + written * 1000;
  return { ...noteWithVector(content, MODEL.dimension), createdAt: at, updatedAt: at, ...fields };
}

/** Every memory of every namespace, tombstones included, read a page at a time. */
async function everyMemory(memories: MemoryStore): Promise<MemoryRecord[]> {
  const all: MemoryRecord[] = [];
  for (let afterId = 0; ;) {
    const page = await memories.exportPage(undefined, afterId, 500, true);
    if (page.length === 0) return all;
    all.push(...page);
    afterId = page[page.length - 1].id;
  }
}

/** Largest count first, ties by name: the order the port answers in. */
function ranked(counts: Map<string, number>): [string, number][] {
  return [...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
}

function add(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** What a fresh count of the memories gives for one namespace. */
function recount(all: readonly MemoryRecord[], namespace: string): { counts: MemoryCounts; tags: TagCount[] } {
  const mine = all.filter((memory) => memory.namespace === namespace);
  const live = mine.filter((memory) => memory.deletedAt === null);
  const types = new Map<string, number>();
  const tags = new Map<string, number>();
  for (const memory of live) {
    add(types, memory.memoryType);
    for (const tag of memory.tags) add(tags, tag);
  }
  const created = live.map((memory) => memory.createdAt);
  return {
    counts: {
      live: live.length,
      deleted: mine.length - live.length,
      types: ranked(types).map(([memory_type, count]) => ({ memory_type, count })),
      oldestMs: created.length > 0 ? Math.min(...created) : null,
      newestMs: created.length > 0 ? Math.max(...created) : null,
    },
    tags: ranked(tags).map(([tag, count]) => ({ tag, count })),
  };
}

/**
 * The namespace figures the overview, the tag list and a page's total read (kept as tallies in the
 * transaction of every write, memory-tallies.ts) equal a fresh count of the memories after every kind of write, on both engines:
 * through the memory port, a backup's restore (which counts them once, its triggers set aside) and a reindex.
 */
for (const engine of [sqlite(), postgres()]) {
  describe(`namespace figures equal a recount after every kind of write: ${engine.name}`, () => {
    let store: Awaited<ReturnType<EngineUnderTest['open']>>;
    let memories: MemoryStore;
    before(async () => {
      store = await engine.open();
      memories = store.memories;
    });
    after(() => store.close());

    async function assertRecounted(step: string): Promise<void> {
      const all = await everyMemory(memories);
      const namespaces = new Set(['default', 'team', 'nobody', 'later', ...all.map((memory) => memory.namespace)]);
      for (const namespace of namespaces) {
        const expected = recount(all, namespace);
        assert.deepEqual(await memories.counts(namespace), expected.counts, `${step}: counts of ${namespace}`);
        assert.deepEqual(await memories.tagCounts(namespace), expected.tags, `${step}: tags of ${namespace}`);
        const trashed = new Set(
          all.filter((m) => m.namespace === namespace && m.deletedAt !== null).map((m) => m.contentHash),
        );
        assert.equal(
          await memories.countDeleted(namespace),
          trashed.size,
          `${step}: texts in the trash of ${namespace}`,
        );
        const current = all.filter((m) => m.namespace === namespace && m.deletedAt === null && m.supersededBy === null);
        assert.equal(await memories.count({ namespace }), current.length, `${step}: current memories of ${namespace}`);
        assert.equal(
          await memories.count({ namespace, includeSuperseded: true }),
          expected.counts.live,
          `${step}: live memories of ${namespace}, superseded included`,
        );
      }
      const live = all.filter((memory) => memory.deletedAt === null).length;
      assert.equal(await memories.countAllLive(), live, `${step}: live memories of the store`);
      await assertTypeAndTagTotals(step);
    }

    const typesSeen = new Set(['absent']);
    const tagsSeen = new Set(['absent']);

    /**
     * A page's total for each type and each tag of the namespace (and one it has none of), superseded
     * versions left out or not, read from the tallies (countFromTallies, what a page by cursor gives) and by
     * count, equals the memories a fresh look at every memory admits.
     */
    async function assertTypeAndTagTotals(step: string): Promise<void> {
      const all = await everyMemory(memories);
      // Every type and tag seen at any step: those of memories deleted for good must count none.
      for (const memory of all) {
        typesSeen.add(memory.memoryType);
        for (const tag of memory.tags) tagsSeen.add(tag);
      }
      for (const namespace of new Set(['default', 'team', 'later', ...all.map((memory) => memory.namespace)])) {
        const mine = all.filter((memory) => memory.namespace === namespace);
        for (const includeSuperseded of [false, true]) {
          const admitted = mine.filter((m) => m.deletedAt === null && (includeSuperseded || m.supersededBy === null));
          const filters: [MemoryFilter, number][] = [
            ...[...typesSeen].map((memoryType): [MemoryFilter, number] => [
              { namespace, memoryType, includeSuperseded },
              admitted.filter((memory) => memory.memoryType === memoryType).length,
            ]),
            ...[...tagsSeen].map((tag): [MemoryFilter, number] => [
              { namespace, tags: [tag], includeSuperseded },
              admitted.filter((memory) => memory.tags.includes(tag)).length,
            ]),
          ];
          for (const [filter, expected] of filters) {
            const where = `${step}: total of ${JSON.stringify(filter)}`;
            assert.equal(await memories.countFromTallies(filter), expected, where);
            assert.equal(await memories.count(filter), expected, where);
          }
        }
      }
    }

    async function stored(draft: NewMemory): Promise<MemoryRecord> {
      const [outcome] = await memories.insertMany([draft]);
      return outcome.memory;
    }

    it('counts every write: stores, edits, trash, supersession, deletes, imports, restores and a reindex', async () => {
      await assertRecounted('empty');

      const trip = await stored(memory('Trip to Lisbon in May', { tags: ['travel', 'family'] }));
      const budget = await stored(memory('Budget for the trip', { tags: ['finance', 'travel'], memoryType: 'fact' }));
      const draft = memory('Standup moved to 9:30', { tags: ['work'] });
      await memories.insertMany([draft, draft, memory('Dentist on Friday', { tags: ['health'] })]);
      await memories.insertMany([
        memory('Team offsite in June', { namespace: 'team', tags: ['travel', 'work'] }),
        memory('Quarterly goals', { namespace: 'team', tags: ['work'], memoryType: 'decision' }),
      ]);
      await assertRecounted('stored');

      await memories.update(trip.id, 'default', { tags: ['travel', 'photos'], updatedAt: T0 });
      await memories.update(budget.id, 'default', { memoryType: 'decision', updatedAt: T0 });
      const text = 'Budget for the trip, revised';
      await memories.update(budget.id, 'default', {
        content: text,
        contentHash: contentHash(text),
        embedding: vector(99),
        updatedAt: T0,
      });
      await assertRecounted('edited');

      await memories.softDelete(trip.id, T0 + 1);
      const again = await stored(memory('Trip to Lisbon in May', { tags: ['travel'] }));
      await memories.softDelete(again.id, T0 + 2);
      await assertRecounted('deleted to the trash, one text twice');

      const restored = await memories.restoreDeleted(trip.id, 'default', vector(1), T0 + 3);
      assert.ok(typeof restored === 'object' && 'restored' in restored);
      await assertRecounted('restored from the trash');

      const newer = await memories.insertSuperseding(
        budget.id,
        memory('Budget for the trip, final', { tags: ['finance', 'travel', 'final'] }),
        T0 + 4,
      );
      assert.ok('id' in newer);
      const standup = (await memories.findLiveByHash('default', draft.contentHash))!;
      const dentist = (await memories.findLiveByHash('default', contentHash('Dentist on Friday')))!;
      await memories.linkSupersession('default', standup.id, dentist.id, T0 + 5);
      await assertRecounted('superseded');

      await engine.moveMemory(budget.id, 'team');
      await engine.moveMemory(trip.id, 'team');
      await assertRecounted('moved to another namespace, one superseded');
      await engine.moveMemory(budget.id, 'default');
      await engine.moveMemory(trip.id, 'default');
      await assertRecounted('moved back');

      // The old budget holds again once the memory that superseded it is gone for good.
      await memories.hardDelete(newer.id);
      await memories.hardDelete(dentist.id);
      await assertRecounted('deleted for good, live and superseding');
      const stale = await stored(memory('Gym on Tuesdays', { tags: ['health'], memoryType: 'habit' }));
      assert.ok('id' in (await memories.insertSuperseding(stale.id, memory('Gym on Thursdays'), T0 + 5)));
      await memories.hardDelete(stale.id);
      await assertRecounted('deleted for good, superseded');

      await memories.purgeDeleted('default', contentHash('Trip to Lisbon in May'));
      for (let copy = 0; copy < 2; copy++) await memories.softDelete((await stored(memory('Lunch order'))).id, T0 + 5);
      await assertRecounted('one text deleted twice');
      await memories.purgeDeleted('default', contentHash('Lunch order'));
      await assertRecounted('purged from the trash');

      const highest = Math.max(...(await everyMemory(memories)).map((memory) => memory.id));
      const imported = (id: number, fields: Partial<NewMemory>, deletedAt: number | null = null) => {
        const { embedding, ...rest } = memory(`Imported ${id}`, fields);
        return { ...rest, id, deletedAt, embedding: deletedAt === null ? embedding : undefined };
      };
      await memories.importMemories([
        imported(highest + 1, { tags: ['imported', 'work'] }),
        imported(highest + 2, { tags: ['imported'], namespace: 'team', memoryType: 'event' }),
        imported(highest + 3, { tags: ['imported', 'travel'] }, T0 + 6),
        imported(highest + 4, { tags: ['imported'] }),
      ]);
      await memories.importLinks([
        { id: highest + 1, supersededBy: highest + 4, supersedes: null, validTo: T0 + 7 },
        { id: highest + 4, supersededBy: null, supersedes: highest + 1, validTo: null },
      ]);
      await assertRecounted('imported from another store');

      // Many small writes, as a busy namespace sees them (on PostgreSQL: several folds of the changes).
      for (let i = 0; i < 80; i++) {
        const note = await stored(memory(`Busy note ${i}`, { tags: [`busy-${i % 3}`, 'busy'] }));
        if (i % 4 === 0) await memories.softDelete(note.id, T0 + 10 + i);
      }
      await assertRecounted('many small writes');

      const backup = await engine.backup();
      await stored(memory('Written after the backup', { tags: ['later', 'travel'] }));
      await memories.softDelete(restored.restored.id, T0 + 100);
      await stored(memory('A namespace begun after the backup', { namespace: 'later', tags: ['later'] }));
      await assertRecounted('written after the backup');
      // Counted once from the restored memories, not by a trigger per memory deleted and copied.
      const allowTriggeredTallies = await engine.refuseTriggeredTallies();
      await backup.restore();
      await allowTriggeredTallies();
      await assertRecounted('backup restored');
      await stored(memory('Written after the restore', { namespace: 'later', tags: ['later'] }));
      await assertRecounted('written after the restore');

      const staging = engine.reindexing();
      await staging.begin(REINDEXED.modelId, REINDEXED.dimension);
      const pending = await staging.pending(0, 1_000);
      await staging.stage(
        pending.map((row) => ({
          memoryId: row.id,
          contentHash: row.contentHash,
          embedding: vector(row.id, REINDEXED.dimension),
        })),
      );
      assert.equal((await staging.switchToStaged()).switched, true);
      await assertRecounted('reindexed');
    });
  });
}
