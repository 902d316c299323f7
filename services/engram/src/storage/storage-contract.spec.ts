import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { keywordTerms } from '../search/keyword-terms';
import { OpenedStorage, postgresAdapter, sqliteAdapter, StorageAdapterUnderTest } from '../testing/storage-adapters';
import { contentHash } from '../memories/content-hash';
import { EmbeddingModelMismatch } from './embedding-model.binding';
import { MemoryRecord, NewMemory } from './memory.record';
import { AuditAction, NewAuditEvent } from '../audit/audit-event';
import { MemoryFilter } from './memory-filter.sql';
import { MemoryUsageRow } from './usage.store';
import { ApiKeyRecord } from './api-key.store';

const MODEL = { modelId: 'contract-model', dimension: 8 };
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

/** A unit vector pointing mostly along `axis`, tilted by `tilt` towards the next axis. */
function direction(axis: number, tilt = 0): Float32Array {
  const vector = new Float32Array(MODEL.dimension);
  vector[axis % MODEL.dimension] = 1;
  vector[(axis + 1) % MODEL.dimension] = tilt;
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

/** More pages than any walk in this suite takes: a walk that does not end fails instead of hanging. */
const MAX_PAGES = 100;

/** Every page `read` gives, each after the last record of the one before, until one comes back short. */
async function pagesAfterPositions<T>(pageSize: number, read: (last: T | undefined) => Promise<T[]>): Promise<T[][]> {
  const pages = [await read(undefined)];
  while (pages.at(-1)!.length === pageSize) {
    assert.ok(pages.length < MAX_PAGES, 'the walk ends');
    pages.push(await read(pages.at(-1)!.at(-1)));
  }
  return pages;
}

/** Every live memory of every namespace, superseded versions included, as their full records say. */
async function everyLiveMemory(store: OpenedStorage): Promise<MemoryRecord[]> {
  const live: MemoryRecord[] = [];
  for (let page = await store.memories.exportPage(undefined, 0, 100); page.length > 0;) {
    live.push(...page);
    page = await store.memories.exportPage(undefined, page.at(-1)!.id, 100);
  }
  return live;
}

/** Whether a filter admits a live memory, worked out from its record alone. */
function admittedBy(filter: MemoryFilter): (m: MemoryRecord) => boolean {
  const tags = filter.tags ?? [];
  const tagged = (m: MemoryRecord) =>
    filter.tagMatch === 'all' ? tags.every((tag) => m.tags.includes(tag)) : tags.some((tag) => m.tags.includes(tag));
  return (m) =>
    m.namespace === filter.namespace &&
    (tags.length === 0 || tagged(m)) &&
    (filter.includeSuperseded || m.supersededBy === null) &&
    (filter.memoryType === undefined || m.memoryType === filter.memoryType) &&
    m.createdAt >= (filter.createdFromMs ?? -Infinity) &&
    m.createdAt < (filter.createdBeforeMs ?? Infinity);
}

let created = 0;
function memory(content: string, fields: Partial<NewMemory> = {}): NewMemory {
  created += 1;
  return {
    namespace: 'default',
    contentHash: contentHash(content),
    content,
    memoryType: 'note',
    metadata: { n: created, nested: { z: 1, a: [1, 'two'] } },
    tags: [],
    createdAt: T0 + created * 1000,
    updatedAt: T0 + created * 1000,
    embedding: direction(0),
    ...fields,
  };
}

/**
 * The storage port's contract, run against every adapter: the same calls must give the same answers on
 * SQLite and on PostgreSQL (served by PGlite over the wire protocol, through `pg` as in production).
 */
for (const adapter of [sqliteAdapter(), postgresAdapter()]) {
  describe(`storage contract: ${adapter.name}`, () => contract(adapter));
}

function contract(adapter: StorageAdapterUnderTest): void {
  let store: OpenedStorage;
  before(() => adapter.start());
  after(() => adapter.stop());
  beforeEach(async () => {
    await adapter.wipe();
    store = await adapter.open(MODEL);
  });
  afterEach(() => store.close());

  describe('memories', () => {
    it('stores a batch once: duplicates in the batch or already stored come back as the live memory', async () => {
      const first = memory('We chose PostgreSQL for billing', { tags: ['decision', 'work'] });
      const [stored] = await store.memories.insertMany([first]);
      assert.equal(stored.created, true);
      const outcomes = await store.memories.insertMany([
        memory('We chose PostgreSQL for billing'),
        memory('The staging cluster runs on three nodes'),
        memory('The staging cluster runs on three nodes'),
      ]);
      assert.deepEqual(
        outcomes.map((outcome) => [outcome.created, outcome.memory.id]),
        [
          [false, stored.memory.id],
          [true, outcomes[1].memory.id],
          [false, outcomes[1].memory.id],
        ],
      );
      const found = await store.memories.findLiveByHash('default', first.contentHash);
      assert.deepEqual(found, { ...stored.memory, tags: ['decision', 'work'] });
      assert.deepEqual(found?.metadata, first.metadata);
      assert.equal(await store.memories.countAllLive(), 2);
    });

    it("reads candidates' text and time only: live memories of the namespace, as their full records say", async () => {
      const [kept, gone] = await store.memories.insertMany([
        memory('kept text', { createdAt: T0 }),
        memory('gone text', { createdAt: T0 + DAY }),
      ]);
      const [elsewhere] = await store.memories.insertMany([memory('other team', { namespace: 'team-b' })]);
      await store.memories.softDelete(gone.memory.id, T0 + 2 * DAY);
      const ids = [kept.memory.id, gone.memory.id, elsewhere.memory.id, kept.memory.id, 999_999];
      assert.deepEqual(await store.memories.findLiveTexts('default', ids), [
        { id: kept.memory.id, content: 'kept text', createdAt: T0 },
      ]);
      assert.deepEqual(await store.memories.findLiveTexts('default', []), []);
    });

    it('finds live memories by the start of their hash: a few, in hash order, of the namespace only', async () => {
      // Two texts whose hashes share their first 8 characters (42f58c3e), found by a birthday search.
      const twins = ['note 53529', 'note 75183'].map((text) => memory(text));
      const [first, second] = (await store.memories.insertMany([...twins, memory('a third text')]))
        .map((outcome) => outcome.memory)
        .slice(0, 2)
        .sort((a, b) => (a.contentHash < b.contentHash ? -1 : 1));
      await store.memories.insertMany([memory('note 53529', { namespace: 'team-b' })]);
      const hashesOf = async (prefix: string, limit = 5, namespace = 'default') =>
        (await store.memories.findLiveByHashPrefix(namespace, prefix, limit)).map((found) => found.contentHash);

      const shared = first.contentHash.slice(0, 8);
      assert.equal(second.contentHash.slice(0, 8), shared);
      assert.deepEqual(await hashesOf(shared), [first.contentHash, second.contentHash]);
      assert.deepEqual(await hashesOf(shared, 1), [first.contentHash]);
      assert.deepEqual(await hashesOf(second.contentHash.slice(0, 12)), [second.contentHash]);
      assert.deepEqual(await hashesOf(shared, 5, 'team-b'), [contentHash('note 53529')]);
      assert.deepEqual(await hashesOf(shared, 5, 'team-c'), []);
      // Hex digits sort before letters, and the range ends with the prefix: nothing just past it.
      const next = (Number.parseInt(shared, 16) + 1).toString(16).padStart(8, '0');
      assert.deepEqual(await hashesOf(next), []);
      assert.deepEqual(await store.memories.findLiveByHashPrefix('default', first.contentHash, 5), [first]);

      await store.memories.softDelete(first.id, T0 + DAY);
      assert.deepEqual(await hashesOf(shared), [second.contentHash], 'a tombstone is not found');
    });

    it('finds the trash by the start of a hash: each text once (its latest deletion), in hash order', async () => {
      const [a, b] = ['note 53529', 'note 75183'].map((text) => contentHash(text)).sort();
      const textOf = (hash: string) => (hash === contentHash('note 53529') ? 'note 53529' : 'note 75183');
      // The text of `a` deleted twice, the later deletion on the older row: the latest deletion wins, not the id.
      const [{ memory: older }] = await store.memories.insertMany([memory(textOf(a))]);
      await store.memories.softDelete(older.id, T0 + 3 * DAY);
      const [{ memory: newer }] = await store.memories.insertMany([memory(textOf(a))]);
      await store.memories.softDelete(newer.id, T0 + 2 * DAY);
      const [{ memory: other }, { memory: live }] = await store.memories.insertMany([
        memory(textOf(b)),
        memory('a third text'),
      ]);
      await store.memories.softDelete(other.id, T0 + DAY);
      const [{ memory: elsewhere }] = await store.memories.insertMany([memory(textOf(a), { namespace: 'team-b' })]);
      await store.memories.softDelete(elsewhere.id, T0 + DAY);
      const found = (prefix: string, limit = 5, namespace = 'default') =>
        store.memories.findDeletedByHashPrefix(namespace, prefix, limit);
      const hashesOf = async (prefix: string, limit?: number, namespace?: string) =>
        (await found(prefix, limit, namespace)).map((tombstone) => tombstone.contentHash);

      const shared = a.slice(0, 8);
      assert.deepEqual(await hashesOf(shared), [a, b]);
      assert.deepEqual(
        (await found(shared)).map((tombstone) => [tombstone.id, tombstone.deletedAt]),
        [
          [older.id, T0 + 3 * DAY],
          [other.id, T0 + DAY],
        ],
      );
      assert.deepEqual(await found(a, 5), [await store.memories.findDeletedByHash('default', a)]);
      assert.deepEqual(await hashesOf(shared, 1), [a]);
      assert.deepEqual(await hashesOf(b.slice(0, 12)), [b]);
      assert.deepEqual(await hashesOf(shared, 5, 'team-b'), [elsewhere.contentHash]);
      assert.deepEqual(await hashesOf(shared, 5, 'team-c'), []);
      const next = (Number.parseInt(shared, 16) + 1).toString(16).padStart(8, '0');
      assert.deepEqual(await hashesOf(next), []);
      assert.deepEqual(await hashesOf(live.contentHash), [], 'a live memory is not in the trash');
    });

    it('keeps namespaces apart: the same text twice, and no reads across', async () => {
      const [a] = await store.memories.insertMany([memory('shared text', { namespace: 'team-a' })]);
      const [b] = await store.memories.insertMany([memory('shared text', { namespace: 'team-b' })]);
      assert.equal(a.created && b.created, true);
      assert.notEqual(a.memory.id, b.memory.id);
      assert.deepEqual(await store.memories.findLiveByIds('team-a', [b.memory.id]), []);
      assert.deepEqual(await store.memories.findLiveTexts('team-a', [b.memory.id]), []);
      assert.equal(await store.memories.count({ namespace: 'team-a' }), 1);
      assert.equal((await store.memories.counts('team-b')).live, 1);
      assert.equal((await store.memories.counts('default')).live, 0);
    });

    it('lists and counts by tags (any or all), type and a half-open time range, newest or oldest first', async () => {
      await store.memories.insertMany([
        memory('one', { tags: ['a'], createdAt: T0 }),
        memory('two', { tags: ['a', 'b'], createdAt: T0 + DAY, memoryType: 'decision' }),
        memory('three', { tags: ['b'], createdAt: T0 + 2 * DAY }),
        memory('four', { createdAt: T0 + 3 * DAY }),
      ]);
      const contents = async (filter: MemoryFilter, order?: 'newest' | 'oldest') =>
        (await store.memories.list(filter, 0, 10, order)).map((m) => m.content);
      assert.deepEqual(await contents({ namespace: 'default' }), ['four', 'three', 'two', 'one']);
      assert.deepEqual(await contents({ namespace: 'default' }, 'oldest'), ['one', 'two', 'three', 'four']);
      assert.deepEqual(await contents({ namespace: 'default', tags: ['a', 'b'] }), ['three', 'two', 'one']);
      assert.deepEqual(await contents({ namespace: 'default', tags: ['a', 'b'], tagMatch: 'all' }), ['two']);
      assert.deepEqual(await contents({ namespace: 'default', memoryType: 'decision' }), ['two']);
      const range = { namespace: 'default', createdFromMs: T0 + DAY, createdBeforeMs: T0 + 3 * DAY };
      assert.deepEqual(await contents(range), ['three', 'two']);
      assert.equal(await store.memories.count(range), 2);
      assert.deepEqual(
        (await store.memories.list({ namespace: 'default' }, 1, 2)).map((m) => m.content),
        ['three', 'two'],
      );
      assert.deepEqual(await store.memories.tagCounts('default'), [
        { tag: 'a', count: 2 },
        { tag: 'b', count: 2 },
      ]);
      const counts = await store.memories.counts('default');
      assert.deepEqual(counts, {
        live: 4,
        deleted: 0,
        types: [
          { memory_type: 'note', count: 3 },
          { memory_type: 'decision', count: 1 },
        ],
        oldestMs: T0,
        newestMs: T0 + 3 * DAY,
      });
    });

    it('updates fields, tags and the vector in one go', async () => {
      const [{ memory: stored }] = await store.memories.insertMany([memory('draft', { tags: ['x'] })]);
      const updated = await store.memories.update(stored.id, 'default', {
        content: 'final text',
        contentHash: contentHash('final text'),
        memoryType: 'decision',
        metadata: { reviewed: true },
        tags: ['y', 'z'],
        embedding: direction(3),
        updatedAt: T0 + DAY,
      });
      assert.equal(updated.content, 'final text');
      assert.equal(updated.contentHash, contentHash('final text'));
      assert.deepEqual(updated.tags, ['y', 'z']);
      assert.deepEqual(updated.metadata, { reviewed: true });
      assert.equal(updated.updatedAt, T0 + DAY);
      assert.equal(await store.memories.findLiveByHash('default', contentHash('draft')), undefined);
      const [nearest] = await store.search.vectorCandidates(direction(3), { namespace: 'default' }, 1);
      assert.equal(nearest.id, stored.id);
      assert.ok(nearest.distance < 1e-6);
      assert.deepEqual(
        (await store.search.keywordCandidates(['final'], { namespace: 'default' }, 5)).map((hit) => hit.id),
        [stored.id],
      );
    });

    it('soft-deletes to the trash (each text once), restores with a fresh vector, and purges for good', async () => {
      const text = 'remember the milk';
      const [{ memory: first }] = await store.memories.insertMany([memory(text)]);
      await store.memories.softDelete(first.id, T0 + DAY);
      const [{ memory: second, created }] = await store.memories.insertMany([memory(text)]);
      assert.equal(created, true);
      await store.memories.softDelete(second.id, T0 + 2 * DAY);
      assert.equal(await store.memories.findLiveByHash('default', contentHash(text)), undefined);
      assert.equal(await store.memories.countDeleted('default'), 1);
      const trash = await store.memories.listDeleted('default', 0, 10);
      assert.deepEqual(
        trash.map((m) => [m.id, m.deletedAt]),
        [[second.id, T0 + 2 * DAY]],
      );
      assert.equal((await store.memories.findDeletedByHash('default', contentHash(text)))?.id, second.id);
      assert.deepEqual(await store.search.vectorCandidates(direction(0), { namespace: 'default' }, 5), []);
      assert.deepEqual(await store.search.keywordCandidates(['milk'], { namespace: 'default' }, 5), []);

      const outcome = await store.memories.restoreDeleted(second.id, 'default', direction(5), T0 + 3 * DAY);
      assert.ok(typeof outcome === 'object' && 'restored' in outcome);
      assert.equal(outcome.restored.deletedAt, null);
      assert.equal(outcome.restored.updatedAt, T0 + 3 * DAY);
      const [nearest] = await store.search.vectorCandidates(direction(5), { namespace: 'default' }, 1);
      assert.equal(nearest.id, second.id);
      assert.deepEqual(
        (await store.search.keywordCandidates(['milk'], { namespace: 'default' }, 5)).map((hit) => hit.id),
        [second.id],
      );

      assert.equal(await store.memories.purgeDeleted('default', contentHash(text)), 1);
      assert.equal(await store.memories.countDeleted('default'), 0);
      assert.equal(await store.memories.restoreDeleted(first.id, 'default', direction(0), T0), 'gone');
    });

    it('refuses to restore a tombstone whose text is live again, answering with the live memory', async () => {
      const [{ memory: first }] = await store.memories.insertMany([memory('twice')]);
      await store.memories.softDelete(first.id, T0 + DAY);
      const [{ memory: again }] = await store.memories.insertMany([memory('twice')]);
      const outcome = await store.memories.restoreDeleted(first.id, 'default', direction(0), T0 + 2 * DAY);
      assert.ok(typeof outcome === 'object' && 'clash' in outcome);
      assert.equal(outcome.clash.id, again.id);
    });

    it('pages every live memory in id order for an export, of one namespace or all, superseded versions included', async () => {
      const stored = await store.memories.insertMany([
        memory('e1', { namespace: 'a' }),
        memory('e2', { namespace: 'b' }),
        memory('e3', { namespace: 'a' }),
        memory('e4', { namespace: 'a' }),
      ]);
      const [e1, e2, e3, e4] = stored.map((outcome) => outcome.memory.id);
      await store.memories.softDelete(e3, T0);
      const e5 = await store.memories.insertSuperseding(e4, memory('e5', { namespace: 'a' }), T0);
      assert.ok('id' in e5);
      const walk = async (namespace: string | undefined) => {
        const ids: number[] = [];
        for (let page = await store.memories.exportPage(namespace, 0, 2); page.length > 0;) {
          ids.push(...page.map((m) => m.id));
          page = await store.memories.exportPage(namespace, page[page.length - 1].id, 2);
        }
        return ids;
      };
      assert.deepEqual(await walk('a'), [e1, e4, e5.id]);
      assert.deepEqual(await walk(undefined), [e1, e2, e4, e5.id]);
      const [old] = await store.memories.exportPage('a', e1, 1);
      assert.equal(old.supersededBy, e5.contentHash);
    });

    it('walks the memories a filter admits oldest first after a position, ties by id, within its namespace', async () => {
      assert.deepEqual(await store.memories.listAfter({ namespace: 'a' }, undefined, 10), [], 'an empty namespace');
      // Stored out of time order, three of them created at the same instant, beside another namespace's.
      const stored = await store.memories.insertMany([
        memory('w-late', { namespace: 'a', createdAt: T0 + 2 * DAY }),
        memory('w-tie1', { namespace: 'a', createdAt: T0 + DAY }),
        memory('other', { namespace: 'b', createdAt: T0 + DAY }),
        memory('w-tie2', { namespace: 'a', createdAt: T0 + DAY }),
        memory('w-early', { namespace: 'a', createdAt: T0 }),
        memory('w-tie3', { namespace: 'a', createdAt: T0 + DAY }),
        memory('w-note', { namespace: 'a', createdAt: T0 + DAY, memoryType: 'decision' }),
      ]);
      const gone = stored.find((outcome) => outcome.memory.content === 'w-tie2')!.memory;
      const walk = async (filter: MemoryFilter, pageSize: number) => {
        const pages: string[][] = [];
        for (let page = await store.memories.listAfter(filter, undefined, pageSize); page.length > 0;) {
          pages.push(page.map((m) => m.content));
          page = await store.memories.listAfter(filter, page[page.length - 1], pageSize);
        }
        return pages;
      };
      const all = ['w-early', 'w-tie1', 'w-tie2', 'w-tie3', 'w-note', 'w-late'];
      assert.deepEqual((await walk({ namespace: 'a' }, 10)).flat(), all);
      // Pages ending inside the tie neither repeat nor skip one of the tied memories; the last is short.
      assert.deepEqual(await walk({ namespace: 'a' }, 2), [all.slice(0, 2), all.slice(2, 4), all.slice(4)]);
      assert.deepEqual(await walk({ namespace: 'a' }, 4), [all.slice(0, 4), all.slice(4)]);
      assert.deepEqual(await walk({ namespace: 'a', memoryType: 'note' }, 1), [
        ['w-early'],
        ['w-tie1'],
        ['w-tie2'],
        ['w-tie3'],
        ['w-late'],
      ]);
      assert.deepEqual(await walk({ namespace: 'b' }, 1), [['other']]);
      const last = stored.find((outcome) => outcome.memory.content === 'w-late')!.memory;
      assert.deepEqual(await store.memories.listAfter({ namespace: 'a' }, last, 10), [], 'after the last');

      await store.memories.softDelete(gone.id, T0 + 3 * DAY);
      assert.deepEqual((await walk({ namespace: 'a' }, 2)).flat(), ['w-early', 'w-tie1', 'w-tie3', 'w-note', 'w-late']);
      const [afterGone] = await store.memories.listAfter({ namespace: 'a' }, gone, 1);
      assert.equal(afterGone.content, 'w-tie3', 'a position stays valid when its memory is deleted');
      assert.deepEqual(afterGone, await store.memories.findLiveByHash('a', afterGone.contentHash), 'whole records');
    });

    it('pages what a filter admits after a position, newest or oldest first, as a list orders it, ties by id', async () => {
      // Four memories share one creation time; tags, types, a superseded version, a deleted memory and
      // another namespace's memory at the same instant test each filter's edges.
      const at = (day: number) => T0 + day * DAY;
      const stored = await store.memories.insertMany([
        memory('k-1', { tags: ['a'], createdAt: at(1) }),
        memory('k-2', { tags: ['a', 'b'], createdAt: at(2), memoryType: 'decision' }),
        memory('k-tie1', { tags: ['b'], createdAt: at(3) }),
        memory('k-tie2', { tags: ['a', 'b'], createdAt: at(3) }),
        memory('k-tie3', { createdAt: at(3), memoryType: 'decision' }),
        memory('k-tie4', { tags: ['a'], createdAt: at(3) }),
        memory('k-gone', { tags: ['a'], createdAt: at(3) }),
        memory('k-old', { tags: ['b'], createdAt: at(4) }),
        memory('k-5', { tags: ['a', 'c'], createdAt: at(5) }),
        memory('k-6', { createdAt: at(6) }),
        memory('k-other', { namespace: 'elsewhere', tags: ['a'], createdAt: at(3) }),
      ]);
      const byContent = (content: string) => stored.find((outcome) => outcome.memory.content === content)!.memory;
      await store.memories.softDelete(byContent('k-gone').id, at(7));
      assert.ok(
        'id' in
          (await store.memories.insertSuperseding(byContent('k-old').id, memory('k-new', { createdAt: at(3) }), at(7))),
      );
      const filters: MemoryFilter[] = [
        { namespace: 'default' },
        { namespace: 'default', includeSuperseded: true },
        { namespace: 'default', tags: ['a', 'b'] },
        { namespace: 'default', tags: ['a', 'b'], tagMatch: 'all' },
        { namespace: 'default', memoryType: 'decision' },
        { namespace: 'default', createdFromMs: at(2), createdBeforeMs: at(5) },
        { namespace: 'default', tags: ['b'], includeSuperseded: true, createdFromMs: at(3) },
        { namespace: 'elsewhere' },
        { namespace: 'nobody' },
      ];
      for (const filter of filters) {
        for (const order of ['newest', 'oldest'] as const) {
          const listed = (await store.memories.list(filter, 0, 100, order)).map((m) => m.content);
          for (const pageSize of [1, 2, 3]) {
            const pages = await pagesAfterPositions(pageSize, (last: MemoryRecord | undefined) =>
              store.memories.listAfter(filter, last, pageSize, order),
            );
            const where = `${JSON.stringify(filter)}, ${order}, pages of ${pageSize}`;
            assert.deepEqual(
              pages.flat().map((m) => m.content),
              listed,
              where,
            );
            assert.ok(
              pages.slice(0, -1).every((full) => full.length === pageSize),
              where,
            );
          }
        }
      }
      const [first] = await store.memories.listAfter({ namespace: 'default' }, undefined, 1, 'newest');
      assert.deepEqual(first, await store.memories.findLiveByHash('default', first.contentHash), 'whole records');
    });

    it('lists, pages and counts by tag as the memories stand after deletes, restores, retags and supersession', async () => {
      // Thirty memories, two to a creation time; `c` is rare. Each write below moves memories in or out of
      // a tag's list: what every page gives must be what the live records themselves say.
      const at = (i: number) => T0 + Math.floor(i / 2) * DAY;
      const tagsAt = (i: number) => [
        ...(i % 2 === 0 ? ['a'] : []),
        ...(i % 3 === 0 ? ['b'] : []),
        ...(i === 5 || i === 17 ? ['c'] : []),
        ...(i % 4 === 0 || i % 9 === 0 ? ['d'] : []),
      ];
      const stored = await store.memories.insertMany([
        ...Array.from({ length: 30 }, (_, i) =>
          memory(`t-${i}`, { tags: tagsAt(i), createdAt: at(i), memoryType: i % 4 === 0 ? 'decision' : 'note' }),
        ),
        memory('t-elsewhere', { namespace: 'elsewhere', tags: ['a', 'b', 'c', 'd'], createdAt: at(8) }),
      ]);
      const id = (i: number) => stored[i].memory.id;
      await store.memories.softDelete(id(4), at(40));
      await store.memories.softDelete(id(9), at(40));
      const restored = await store.memories.restoreDeleted(id(4), 'default', direction(1), at(41));
      assert.ok(typeof restored === 'object' && 'restored' in restored);
      const retag = (i: number, tags: string[]) => store.memories.update(id(i), 'default', { tags, updatedAt: at(42) });
      await retag(7, ['a', 'c']);
      await retag(6, ['b']);
      assert.ok('id' in (await store.memories.insertSuperseding(id(12), memory('t-new', { tags: ['a'] }), at(43))));
      await store.memories.hardDelete(id(15));

      const live = await everyLiveMemory(store);
      const admitted = (filter: MemoryFilter, order: 'newest' | 'oldest') => {
        const sign = order === 'oldest' ? 1 : -1;
        return live
          .filter(admittedBy(filter))
          .sort((x, y) => sign * (x.createdAt - y.createdAt || x.id - y.id))
          .map((m) => m.content);
      };
      const filters: MemoryFilter[] = [
        { namespace: 'default', tags: ['a'] },
        { namespace: 'default', tags: ['c'] },
        { namespace: 'default', tags: ['a', 'a'] },
        { namespace: 'default', tags: ['a'], includeSuperseded: true },
        { namespace: 'default', tags: ['b'], memoryType: 'decision' },
        { namespace: 'default', tags: ['a', 'b'], tagMatch: 'all' },
        { namespace: 'default', tags: ['b', 'a', 'c'], tagMatch: 'all' },
        { namespace: 'default', tags: ['a', 'c'], tagMatch: 'all' },
        { namespace: 'default', tags: ['d', 'b', 'a'], tagMatch: 'all' },
        { namespace: 'default', tags: ['a', 'd', 'b'], tagMatch: 'all', includeSuperseded: true },
        { namespace: 'default', tags: ['c', 'b'] },
        { namespace: 'default', tags: ['a', 'b'], createdFromMs: at(6), createdBeforeMs: at(20) },
        { namespace: 'default', tags: ['nobody'] },
        { namespace: 'elsewhere', tags: ['c', 'a'], tagMatch: 'all' },
      ];
      for (const filter of filters) {
        for (const order of ['newest', 'oldest'] as const) {
          const where = `${JSON.stringify(filter)}, ${order}`;
          const expected = admitted(filter, order);
          assert.deepEqual(
            (await store.memories.list(filter, 0, 100, order)).map((m) => m.content),
            expected,
            where,
          );
          assert.equal(await store.memories.count(filter), expected.length, where);
          const byOffset: string[] = [];
          for (let offset = 0; offset < expected.length + 4; offset += 4) {
            byOffset.push(...(await store.memories.list(filter, offset, 4, order)).map((m) => m.content));
          }
          assert.deepEqual(byOffset, expected, `${where}, pages of 4 by offset`);
          const byPosition = await pagesAfterPositions(4, (last: MemoryRecord | undefined) =>
            store.memories.listAfter(filter, last, 4, order),
          );
          assert.deepEqual(
            byPosition.flat().map((m) => m.content),
            expected,
            `${where}, pages of 4 after positions`,
          );
        }
      }
      // All of three tags, worked out by hand: a, b and d are on t-0, t-12, t-18 and t-24 of the default
      // namespace (t-6 has no d and lost its a), and t-12 is superseded.
      assert.deepEqual(admitted(filters[8], 'oldest'), ['t-0', 't-18', 't-24']);
      assert.deepEqual(admitted(filters[9], 'oldest'), ['t-0', 't-12', 't-18', 't-24']);
      assert.ok(admitted(filters[0], 'newest').includes('t-4'), 'the restored memory is listed by its tag');
      assert.ok(!admitted(filters[0], 'newest').includes('t-6'), 'a tag taken off no longer lists its memory');
    });

    it('counts from the tallies alone what a cursor page gives as its total for the namespace, a type or a tag, as count does, after deletes, supersedes and restores', async () => {
      const stored = await store.memories.insertMany([
        ...Array.from({ length: 12 }, (_, i) =>
          memory(`x-${i}`, { tags: i % 3 === 0 ? ['x', 'y'] : ['x'], memoryType: i % 2 === 0 ? 'decision' : 'note' }),
        ),
        memory('rare', { tags: ['rare'] }),
        memory('x-elsewhere', { namespace: 'elsewhere', tags: ['x'] }),
      ]);
      const id = (i: number) => stored[i].memory.id;
      // The whole namespace, one type and one tag alone: a numbered page's total is their tallies (the current
      // ones unless superseded versions are admitted), and a cursor page's is the same figure.
      const tallied: MemoryFilter[] = [
        { namespace: 'default' },
        { namespace: 'default', includeSuperseded: true },
        { namespace: 'default', memoryType: 'note' },
        { namespace: 'default', memoryType: 'decision' },
        { namespace: 'default', memoryType: 'decision', includeSuperseded: true },
        { namespace: 'default', tags: ['rare'] },
        { namespace: 'default', tags: ['x'] },
        { namespace: 'default', tags: ['x', 'x'], tagMatch: 'all' },
        { namespace: 'default', tags: ['x'], includeSuperseded: true },
        { namespace: 'default', tags: ['y'] },
        { namespace: 'default', tags: ['nobody'] },
        { namespace: 'elsewhere', tags: ['x'] },
      ];
      // Filters whose numbered page counts its rows: a cursor page goes without a total.
      const counted: MemoryFilter[] = [
        { namespace: 'default', tags: ['x'], memoryType: 'note' },
        { namespace: 'default', memoryType: 'note', createdBeforeMs: T0 + DAY },
        { namespace: 'default', tags: ['x'], createdFromMs: T0 },
        { namespace: 'default', tags: ['x', 'y'] },
        { namespace: 'default', tags: ['x', 'y'], tagMatch: 'all' },
      ];
      const check = async (step: string) => {
        const live = await everyLiveMemory(store);
        for (const filter of tallied) {
          const where = `${step}: ${JSON.stringify(filter)}`;
          const expected = live.filter(admittedBy(filter)).length;
          assert.equal(await store.memories.countFromTallies(filter), expected, where);
          assert.equal(await store.memories.count(filter), expected, where);
        }
        for (const filter of counted) {
          assert.equal(await store.memories.countFromTallies(filter), undefined, `${step}: ${JSON.stringify(filter)}`);
          assert.equal(await store.memories.count(filter), live.filter(admittedBy(filter)).length);
        }
      };
      await check('as stored');

      await store.memories.softDelete(id(1), T0 + DAY);
      await store.memories.softDelete(id(3), T0 + DAY);
      await check('after deletes');

      const replacement = await store.memories.insertSuperseding(id(6), memory('x-6 v2', { tags: ['x', 'y'] }), T0);
      assert.ok('id' in replacement);
      assert.ok('id' in (await store.memories.linkSupersession('default', id(4), id(5), T0)));
      await check('after supersedes');

      await store.memories.softDelete(id(4), T0 + 2 * DAY);
      await check('after deleting a superseded memory');
      for (const i of [1, 4]) {
        const outcome = await store.memories.restoreDeleted(id(i), 'default', direction(i), T0 + 3 * DAY);
        assert.ok(typeof outcome === 'object' && 'restored' in outcome);
      }
      await check('after restores');

      await store.memories.hardDelete(id(6));
      await store.memories.hardDelete(id(4));
      await check('after deleting the superseded memories for good');
    });

    it("counts a type's or tag's cursor total from its own namespace, whatever other namespaces supersede", async () => {
      const stored = await store.memories.insertMany([
        ...[1, 2, 3].map((i) => memory(`tagged ${i}`, { tags: ['probe'], memoryType: 'probe-type' })),
        memory('draft', { tags: ['probe'], memoryType: 'probe-type' }),
        ...[1, 2, 3, 4].map((i) =>
          memory(`elsewhere draft ${i}`, { namespace: 'elsewhere', tags: ['probe'], memoryType: 'probe-type' }),
        ),
      ]);
      const filters: MemoryFilter[] = [
        { namespace: 'default', tags: ['probe'] },
        { namespace: 'default', memoryType: 'probe-type' },
      ];
      assert.ok('id' in (await store.memories.insertSuperseding(stored[3].memory.id, memory('final'), T0)));
      for (const filter of filters) assert.equal(await store.memories.countFromTallies(filter), 3);
      for (const outcome of stored.slice(4)) {
        const replacement = memory(`${outcome.memory.content} final`, { namespace: 'elsewhere' });
        assert.ok('id' in (await store.memories.insertSuperseding(outcome.memory.id, replacement, T0)));
      }
      for (const filter of filters) assert.equal(await store.memories.countFromTallies(filter), 3);
    });

    it('walks past memories stored and deleted between pages: none of those there throughout skipped or repeated', async () => {
      for (const order of ['newest', 'oldest'] as const) {
        const namespace = `walk-${order}`;
        const at = (day: number) => T0 + day * DAY;
        // Pairs of memories sharing each day, so pages end inside ties.
        const initial = await store.memories.insertMany(
          Array.from({ length: 12 }, (_, i) =>
            memory(`${namespace} ${i}`, { namespace, createdAt: at(Math.floor(i / 2)) }),
          ),
        );
        const ids = initial.map((outcome) => outcome.memory.id);
        const removedAhead = new Set<number>();
        const removedBehind = new Set<number>();
        const walked: number[] = [];
        let page = await store.memories.listAfter({ namespace }, undefined, 3, order);
        for (let turn = 0; page.length > 0; turn++) {
          assert.ok(turn < MAX_PAGES, 'the walk ends');
          walked.push(...page.map((m) => m.id));
          const last = page.at(-1)!;
          // Between the first pages (later ones would chase the memories stored ahead of the walk): memories
          // stored at the last one's instant and beyond both ends of the walk; while enough are left, two not
          // yet walked deleted (one for good), and one walked deleted.
          if (turn < 3) {
            await store.memories.insertMany([
              memory(`${namespace} tie ${turn}`, { namespace, createdAt: last.createdAt }),
              memory(`${namespace} early ${turn}`, { namespace, createdAt: at(-1 - turn) }),
              memory(`${namespace} late ${turn}`, { namespace, createdAt: at(20 + turn) }),
            ]);
          }
          const ahead = ids.filter((id) => !walked.includes(id) && !removedAhead.has(id));
          if (ahead.length >= 4) {
            // The next one the walk would give, and the last.
            const [soft, hard] = order === 'oldest' ? [ahead[0], ahead.at(-1)!] : [ahead.at(-1)!, ahead[0]];
            await store.memories.softDelete(soft, at(30));
            await store.memories.hardDelete(hard);
            removedAhead.add(soft).add(hard);
            const behind = walked.find((id) => ids.includes(id) && !removedBehind.has(id))!;
            await store.memories.softDelete(behind, at(30));
            removedBehind.add(behind);
          }
          page = await store.memories.listAfter({ namespace }, last, 3, order);
        }
        assert.equal(new Set(walked).size, walked.length, `${order}: no memory given twice`);
        assert.ok(removedAhead.size >= 4, `${order}: memories were removed ahead of the walk`);
        assert.deepEqual(
          walked.filter((id) => ids.includes(id)),
          ids.filter((id) => !removedAhead.has(id)).sort((a, b) => (order === 'oldest' ? a - b : b - a)),
          `${order}: every memory there throughout, in order, and none removed before its page`,
        );
      }
    });

    it("pages the trash after a position: each text's newest deletion once, ties by id, as the offset pages list it", async () => {
      const texts = Array.from({ length: 9 }, (_, i) => `trashed ${i}`);
      const stored = await store.memories.insertMany(texts.map((text) => memory(text)));
      // Deleted three at a time at the same instant; two texts stored and deleted again later.
      for (const [i, { memory: deleted }] of stored.entries())
        await store.memories.softDelete(deleted.id, T0 + Math.floor(i / 3) * DAY);
      for (const text of [texts[0], texts[4]]) {
        const [{ memory: again }] = await store.memories.insertMany([memory(text)]);
        await store.memories.softDelete(again.id, T0 + 5 * DAY);
      }
      await store.memories.insertMany([memory('elsewhere', { namespace: 'b' })]);
      const walk = async (pageSize: number, between?: (turn: number) => Promise<void>) => {
        const walked: number[] = [];
        let page = await store.memories.listDeletedAfter('default', undefined, pageSize);
        for (let turn = 0; page.length > 0; turn++) {
          assert.ok(turn < MAX_PAGES, 'the walk ends');
          walked.push(...page.map((m) => m.id));
          await between?.(turn);
          const last = page.at(-1)!;
          page = await store.memories.listDeletedAfter(
            'default',
            { deletedAt: last.deletedAt!, id: last.id },
            pageSize,
          );
        }
        return walked;
      };
      const listed = (await store.memories.listDeleted('default', 0, 100)).map((m) => m.id);
      assert.equal(listed.length, 9);
      for (const pageSize of [1, 2, 4]) assert.deepEqual(await walk(pageSize), listed, `pages of ${pageSize}`);
      assert.deepEqual(await store.memories.listDeletedAfter('b', undefined, 10), []);

      // Between pages: a text restored, one purged, one deleted again (its newest deletion moves first).
      const tombstoneOf = (text: string) => store.memories.findDeletedByHash('default', contentHash(text));
      const changed = new Set<number>();
      const walked = await walk(2, async (turn) => {
        if (turn !== 0) return;
        for (const text of [texts[1], texts[2], texts[6]]) changed.add((await tombstoneOf(text))!.id);
        await store.memories.restoreDeleted((await tombstoneOf(texts[1]))!.id, 'default', direction(1), T0 + 6 * DAY);
        await store.memories.purgeDeleted('default', contentHash(texts[2]));
        const [{ memory: again }] = await store.memories.insertMany([memory(texts[6])]);
        await store.memories.softDelete(again.id, T0 + 7 * DAY);
      });
      assert.equal(new Set(walked).size, walked.length, 'no tombstone given twice');
      assert.deepEqual(
        walked.filter((id) => !changed.has(id)),
        listed.filter((id) => !changed.has(id)),
      );
    });

    it('hard-deletes a memory with its tags and vector', async () => {
      const [{ memory: stored }] = await store.memories.insertMany([memory('gone soon', { tags: ['t'] })]);
      await store.memories.hardDelete(stored.id);
      assert.equal(await store.memories.findLiveByHash('default', stored.contentHash), undefined);
      assert.equal(await store.memories.findDeletedByHash('default', stored.contentHash), undefined);
      assert.deepEqual(await store.memories.tagCounts('default'), []);
      assert.deepEqual(await store.search.distances([stored.id], direction(0)), []);
    });

    it('keeps one live row when many clients store the same text at once', async () => {
      const racing = await Promise.all(
        Array.from({ length: 12 }, () => store.memories.insertMany([memory('raced text')])),
      );
      const outcomes = racing.flat();
      assert.equal(outcomes.filter((outcome) => outcome.created).length, 1);
      assert.equal(new Set(outcomes.map((outcome) => outcome.memory.id)).size, 1);
      assert.equal(await store.memories.countAllLive(), 1);
    });
  });

  describe('supersession', () => {
    it('replaces a memory by a new version, hides the old one from filters, and walks the chain from any version', async () => {
      const [{ memory: first }] = await store.memories.insertMany([
        memory('The office is in Leeds', { tags: ['place'] }),
      ]);
      const second = await store.memories.insertSuperseding(first.id, memory('The office is in York'), T0 + DAY);
      assert.ok('id' in second);
      assert.equal(second.supersedes, first.contentHash);
      const third = await store.memories.linkSupersession(
        'default',
        second.id,
        (await store.memories.insertMany([memory('The office is in Hull')]))[0].memory.id,
        T0 + 2 * DAY,
      );
      assert.ok('id' in third);
      const [old] = await store.memories.findLiveByIds('default', [first.id]);
      assert.deepEqual([old.supersededBy, old.validTo], [second.contentHash, T0 + DAY]);
      assert.deepEqual(
        (await store.memories.list({ namespace: 'default' }, 0, 10)).map((m) => m.content),
        ['The office is in Hull'],
      );
      assert.equal(await store.memories.count({ namespace: 'default', includeSuperseded: true }), 3);
      assert.deepEqual(
        await store.memories.filterIds({ namespace: 'default' }, [first.id, second.id, third.id]),
        new Set([third.id]),
      );
      for (const id of [first.id, second.id, third.id]) {
        assert.deepEqual(
          (await store.memories.history('default', id)).map((m) => m.content),
          ['The office is in Leeds', 'The office is in York', 'The office is in Hull'],
        );
      }
      assert.deepEqual(await store.memories.history('elsewhere', first.id), []);
    });

    it('refuses to supersede an old version again, a deleted memory, or with text already stored', async () => {
      const [{ memory: old }, { memory: other }] = await store.memories.insertMany([memory('v1'), memory('taken')]);
      const replacement = await store.memories.insertSuperseding(old.id, memory('v2'), T0);
      assert.ok('id' in replacement);
      const again = await store.memories.insertSuperseding(old.id, memory('v3'), T0);
      assert.ok('refused' in again && again.refused === 'already_superseded');
      assert.equal(again.memory.supersededBy, replacement.contentHash);
      const duplicate = await store.memories.insertSuperseding(replacement.id, memory('taken'), T0);
      assert.ok('refused' in duplicate && duplicate.refused === 'duplicate');
      assert.equal(duplicate.memory.id, other.id);
      await store.memories.softDelete(other.id, T0);
      assert.deepEqual(await store.memories.linkSupersession('default', other.id, replacement.id, T0), {
        refused: 'gone',
      });
      assert.deepEqual(
        (await store.memories.findInNamespace('default', [other.id, replacement.id])).map((m) => m.id).sort(),
        [other.id, replacement.id].sort(),
        'tombstones included',
      );
      assert.deepEqual(await store.memories.findInNamespace('elsewhere', [other.id]), []);
    });

    it('lets one of many racing supersessions of a version win', async () => {
      const [{ memory: old }] = await store.memories.insertMany([memory('contested')]);
      const outcomes = await Promise.all(
        Array.from({ length: 6 }, (_, i) => store.memories.insertSuperseding(old.id, memory(`successor ${i}`), T0)),
      );
      assert.equal(outcomes.filter((outcome) => 'id' in outcome).length, 1);
      assert.equal(await store.memories.count({ namespace: 'default' }), 1);
    });
  });

  describe('usage, conflicts and MCP cancellations', () => {
    it('adds uses and ratings up, drops uses of memories gone for good, and pages current memories with their signals', async () => {
      const stored = await store.memories.insertMany(
        Array.from({ length: 5 }, (_, i) => memory(`used memory ${i}`, { namespace: 'usage' })),
      );
      const [a, b, gone] = stored.map((outcome) => outcome.memory.id);
      await store.memories.hardDelete(gone);
      await store.usage.addUses([
        { memoryId: a, retrievals: 2, fetches: 1, lastUsedAt: T0 + 5 },
        { memoryId: gone, retrievals: 1, fetches: 0, lastUsedAt: T0 },
      ]);
      await store.usage.addUses([{ memoryId: a, retrievals: 1, fetches: 0, lastUsedAt: T0 + 1 }]);
      assert.deepEqual(await store.usage.addRating(b, -1, 'wrong'), {
        retrievals: 0,
        fetches: 0,
        lastUsedAt: null,
        ratingSum: -1,
        ratingCount: 1,
        lastRating: -1,
        lastFeedback: 'wrong',
      });
      const rated = await store.usage.addRating(b, 1, null);
      assert.deepEqual([rated.ratingSum, rated.ratingCount, rated.lastRating, rated.lastFeedback], [0, 2, 1, null]);
      const signals = await store.usage.signalsOf([a, b, gone]);
      assert.deepEqual([...signals.keys()].sort(), [a, b].sort());
      assert.deepEqual(
        [signals.get(a)!.retrievals, signals.get(a)!.fetches, signals.get(a)!.lastUsedAt],
        [3, 1, T0 + 5],
        'counts add up; the last use is the latest',
      );
      await store.memories.insertSuperseding(b, memory('used memory 1, corrected', { namespace: 'usage' }), T0);
      const rows: MemoryUsageRow[] = [];
      for await (const row of store.usage.currentMemories('usage')) rows.push(row);
      assert.equal(rows.length, 4, 'live, current memories only');
      assert.ok(rows.every((row, i) => i === 0 || row.memoryId > rows[i - 1].memoryId));
      assert.equal(rows.find((row) => row.memoryId === a)?.retrievals, 3);
      assert.equal(
        rows.some((row) => row.memoryId === b),
        false,
        'superseded',
      );
      const none: MemoryUsageRow[] = [];
      for await (const row of store.usage.currentMemories('elsewhere')) none.push(row);
      assert.deepEqual(none, []);

      // Whole texts: cleanup compares them, so two memories sharing a long opening stay two.
      const long = `${'a shared opening, '.repeat(30)}then the part that differs`;
      await store.memories.insertMany([memory(long, { namespace: 'usage-text' })]);
      const texts: string[] = [];
      for await (const row of store.usage.currentMemories('usage-text')) texts.push(row.content);
      assert.deepEqual(texts, [long]);
    });

    it('proposes a pair once, lists by score within a namespace and status, and records decisions', async () => {
      const ids = (
        await store.memories.insertMany([memory('c1'), memory('c2'), memory('c3'), memory('c4', { namespace: 'x' })])
      ).map((outcome) => outcome.memory.id);
      const propose = (first: number, second: number, score: number, namespace = 'default') =>
        store.conflicts.propose({
          namespace,
          firstId: first,
          secondId: second,
          score,
          evidence: ['why'],
          createdAt: T0,
        });
      const low = await propose(ids[0], ids[1], 0.4);
      const high = await propose(ids[1], ids[2], 0.9);
      assert.equal(await propose(ids[0], ids[1], 0.99), undefined, 'a known pair is not proposed again');
      const elsewhere = await propose(ids[0], ids[3], 0.5, 'x');
      assert.deepEqual(
        [low?.number, high?.number, elsewhere?.number],
        [1, 2, 1],
        "each namespace numbers its own proposals: another's never shows in the gaps",
      );
      assert.deepEqual(
        (await store.conflicts.list('default', 'open', 0, 10)).map((record) => record.id),
        [high!.id, low!.id],
      );
      assert.deepEqual(await store.conflicts.findByPair('default', ids[0], ids[1]), low);
      assert.deepEqual(await store.conflicts.findByNumber('x', 1), elsewhere);
      assert.equal(await store.conflicts.findByNumber('x', 2), undefined, 'other namespaces see nothing');
      await store.conflicts.decide(low!.id, 'dismissed', 'dismiss', T0 + 1);
      const decided = await store.conflicts.findByNumber('default', low!.number);
      assert.deepEqual([decided?.status, decided?.resolution, decided?.resolvedAt], ['dismissed', 'dismiss', T0 + 1]);
      assert.deepEqual(
        [await store.conflicts.count('default', 'open'), await store.conflicts.count('default', undefined)],
        [1, 2],
      );
      assert.deepEqual(decided?.evidence, ['why']);
      assert.equal(decided?.score, 0.4);
    });

    it("keeps the judge's verdict given with a proposal, and replaces it when judged again", async () => {
      const ids = (await store.memories.insertMany([memory('j1'), memory('j2'), memory('j3')])).map(
        (outcome) => outcome.memory.id,
      );
      const unjudged = await store.conflicts.propose({
        namespace: 'default',
        firstId: ids[0],
        secondId: ids[1],
        score: 0.7,
        evidence: ['why'],
        createdAt: T0,
      });
      assert.equal(unjudged?.judge, null);
      const unavailable = { verdict: 'unavailable' as const, model: 'judge-m', reason: 'timed out' };
      const judged = await store.conflicts.propose({
        namespace: 'default',
        firstId: ids[1],
        secondId: ids[2],
        score: 0.8,
        evidence: ['why'],
        createdAt: T0,
        judge: unavailable,
      });
      assert.deepEqual(judged?.judge, unavailable);
      const confirmed = { verdict: 'update' as const, model: 'judge-m', reason: 'the office moved' };
      await store.conflicts.recordJudgement(judged!.id, confirmed);
      assert.deepEqual((await store.conflicts.findByNumber('default', judged!.number))?.judge, confirmed);
      assert.equal(
        (await store.conflicts.findByNumber('default', unjudged!.number))?.judge,
        null,
        'only that proposal',
      );
    });

    it("hands out cancellations in order after a sequence number, keeping only each credential's newest", async () => {
      const start = await store.cancellations.latestSeq();
      for (let i = 0; i < 5; i++) await store.cancellations.record('flooder', 'caller-f', `"${i}"`, T0 + i, 2);
      await store.cancellations.record('polite', 'caller-p', '7', T0 + 10, 2);
      const rows = await store.cancellations.since(start);
      assert.deepEqual(
        rows.map((row) => [row.caller, row.requestId, row.requestedAtMs]),
        [
          ['caller-f', '"3"', T0 + 3],
          ['caller-f', '"4"', T0 + 4],
          ['caller-p', '7', T0 + 10],
        ],
      );
      assert.ok(rows.every((row, i) => i === 0 || row.seq > rows[i - 1].seq));
      assert.equal(await store.cancellations.latestSeq(), rows[2].seq);
      assert.deepEqual(await store.cancellations.since(rows[2].seq), []);
      await store.cancellations.record('late', 'caller-l', '1', T0 + 11 * 60_000, 2);
      assert.deepEqual(
        (await store.cancellations.since(start)).map((row) => row.caller),
        ['caller-l'],
        'rows older than ten minutes are dropped',
      );
    });
  });

  describe('API keys', () => {
    const key = (id: string, fields: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
      id,
      name: `key ${id}`,
      prefix: `egk_${id.padEnd(6, '0').slice(0, 6)}`,
      scopes: ['read'],
      namespace: null,
      createdAt: T0,
      lastUsedAt: null,
      expiresAt: null,
      revokedAt: null,
      ...fields,
    });

    it('finds a key by the digest of its secret or its id, and lists every key oldest first', async () => {
      const reader = key('k-reader', { namespace: 'alice', expiresAt: T0 + DAY, createdAt: T0 + 2 });
      const admin = key('k-admin', { scopes: ['read', 'write', 'admin'], createdAt: T0 + 1 });
      await store.apiKeys.insert(reader, 'digest-reader');
      await store.apiKeys.insert(admin, 'digest-admin');
      assert.deepEqual(await store.apiKeys.findBySecretHash('digest-reader'), reader);
      assert.deepEqual(await store.apiKeys.findById('k-admin'), admin);
      assert.equal(await store.apiKeys.findBySecretHash('digest-unknown'), undefined);
      assert.equal(await store.apiKeys.findById('k-unknown'), undefined);
      assert.deepEqual(await store.apiKeys.list(), [admin, reader]);
      assert.equal(await store.apiKeys.countAll(), 2);
      await assert.rejects(store.apiKeys.insert(key('k-twin'), 'digest-reader'), 'one key per secret digest');
      assert.equal(await store.apiKeys.countAll(), 2);
    });

    it('revokes once, keeping the first revocation time, and records the last use', async () => {
      await store.apiKeys.insert(key('k-1'), 'digest-1');
      await store.apiKeys.markUsed('k-1', T0 + 5);
      assert.equal(await store.apiKeys.revoke('k-1', T0 + 10), true);
      assert.equal(await store.apiKeys.revoke('k-1', T0 + 20), false);
      assert.equal(await store.apiKeys.revoke('k-unknown', T0 + 20), false);
      const stored = await store.apiKeys.findBySecretHash('digest-1');
      assert.deepEqual([stored?.lastUsedAt, stored?.revokedAt], [T0 + 5, T0 + 10]);
      assert.equal(await store.apiKeys.countAll(), 1, 'revoked keys still count as created');
    });

    it('counts as usable admins only unrevoked, unexpired, unbound keys holding the admin scope', async () => {
      const now = T0 + DAY;
      await store.apiKeys.insert(key('usable', { scopes: ['read', 'admin', 'write'] }), 'd1');
      await store.apiKeys.insert(key('later', { scopes: ['admin'], expiresAt: now + 1 }), 'd2');
      await store.apiKeys.insert(key('bound', { scopes: ['admin'], namespace: 'alice' }), 'd3');
      await store.apiKeys.insert(key('reader', { scopes: ['read', 'write'] }), 'd4');
      await store.apiKeys.insert(key('expired', { scopes: ['admin'], expiresAt: now }), 'd5');
      await store.apiKeys.insert(key('revoked', { scopes: ['admin'] }), 'd6');
      await store.apiKeys.revoke('revoked', T0);
      assert.equal(await store.apiKeys.countUsableAdmins(now), 2);
      assert.equal(await store.apiKeys.countUsableAdmins(now + 1), 1, 'a key expires at its expiry time');
    });
  });

  describe('search candidates', () => {
    it('ranks vectors by cosine distance within the filter and the namespace', async () => {
      const stored = await store.memories.insertMany([
        memory('exact', { embedding: direction(2), tags: ['keep'] }),
        memory('close', { embedding: direction(2, 0.3), tags: ['keep'] }),
        memory('far', { embedding: direction(6), tags: ['keep'] }),
        memory('untagged close', { embedding: direction(2, 0.1) }),
        memory('other namespace', { embedding: direction(2), namespace: 'elsewhere', tags: ['keep'] }),
      ]);
      const [exact, close, far, untagged] = stored.map((outcome) => outcome.memory.id);
      const hits = await store.search.vectorCandidates(direction(2), { namespace: 'default', tags: ['keep'] }, 10);
      assert.deepEqual(
        hits.map((hit) => hit.id),
        [exact, close, far],
      );
      assert.ok(Math.abs(hits[0].distance) < 1e-6);
      assert.ok(Math.abs(hits[2].distance - 1) < 1e-6, 'orthogonal vectors are at distance 1');
      const all = await store.search.vectorCandidates(direction(2), { namespace: 'default' }, 2);
      assert.deepEqual(
        all.map((hit) => hit.id),
        [exact, untagged],
      );
      assert.deepEqual(
        Array.from((await store.search.embeddingsOf([far, far + 1000])).get(far)!).map(
          (x) => Math.round(x * 1e5) / 1e5,
        ),
        Array.from(direction(6)),
      );
      assert.deepEqual([...(await store.search.embeddingsOf([far + 1000])).keys()], [], 'no vector, no entry');
      const distances = await store.search.distances([far, close], direction(2));
      assert.deepEqual(distances.map((hit) => hit.id).sort(), [close, far].sort());
      assert.ok(Math.abs(distances.find((hit) => hit.id === far)!.distance - 1) < 1e-6);
    });

    it('ranks the memories holding all of several tags, or a type and a tag, as an exact scan of them does', async () => {
      const labels = ['red', 'green', 'blue'];
      const stored = await store.memories.insertMany(
        Array.from({ length: 48 }, (_, i) =>
          memory(`labelled ${i}`, {
            namespace: i % 12 === 3 ? 'elsewhere' : 'default',
            memoryType: i % 3 === 0 ? 'decision' : 'note',
            tags: labels.filter((_, bit) => (i >> bit) % 2 === 1 || (i % 7 === bit && i % 2 === 0)),
            embedding: direction(i % MODEL.dimension, (i % 11) / 10 + 0.05),
          }),
        ),
      );
      await store.memories.insertSuperseding(
        stored[7].memory.id,
        memory('labelled 7, replaced', { tags: ['red', 'green'], embedding: direction(3, 0.5) }),
        T0 + DAY,
      );
      // Off every axis, so no two memories lie at the same distance.
      const query = Float32Array.from({ length: MODEL.dimension }, (_, d) => (d + 1) / Math.sqrt(204));
      const live = await everyLiveMemory(store);
      const vectors = await store.search.embeddingsOf(live.map((record) => record.id));
      const cosineDistance = (record: MemoryRecord) =>
        1 - vectors.get(record.id)!.reduce((sum, x, d) => sum + x * query[d], 0);
      const filters: MemoryFilter[] = [
        { namespace: 'default', tags: ['red', 'green'], tagMatch: 'all' },
        { namespace: 'default', tags: ['red', 'green', 'blue'], tagMatch: 'all' },
        { namespace: 'default', tags: ['green', 'red'], tagMatch: 'all', includeSuperseded: true },
        { namespace: 'default', memoryType: 'decision', tags: ['blue'] },
        { namespace: 'default', memoryType: 'note', tags: ['red', 'blue'], tagMatch: 'all' },
        { namespace: 'elsewhere', tags: ['red', 'green'], tagMatch: 'all' },
      ];
      for (const filter of filters) {
        const exact = live
          .filter(admittedBy(filter))
          .map((record) => ({ id: record.id, distance: cosineDistance(record) }))
          .sort((a, b) => a.distance - b.distance || a.id - b.id)
          .slice(0, 5);
        assert.ok(exact.length > 0, `${JSON.stringify(filter)} admits memories`);
        const hits = await store.search.vectorCandidates(query, filter, 5);
        assert.deepEqual(
          hits.map((hit) => hit.id),
          exact.map((hit) => hit.id),
          JSON.stringify(filter),
        );
        const admitted = live.filter(admittedBy(filter)).map((record) => record.id);
        const words = await store.search.keywordCandidates(['labelled'], filter, 100);
        assert.deepEqual(
          words.map((hit) => hit.id).sort((a, b) => a - b),
          admitted.sort((a, b) => a - b),
          `keywords: ${JSON.stringify(filter)}`,
        );
      }
    });

    it('names the admitted memories stored right before and after each id, skipping other namespaces', async () => {
      const ids = (
        await store.memories.insertMany([
          memory('first', { tags: ['t'] }),
          memory('elsewhere', { namespace: 'other', tags: ['t'] }),
          memory('second', { tags: ['t'] }),
          memory('untagged'),
          memory('third', { tags: ['t'] }),
        ])
      ).map((outcome) => outcome.memory.id);
      const [first, , second, untagged, third] = ids;
      const adjacent = await store.search.adjacent([second, first], { namespace: 'default', tags: ['t'] });
      assert.deepEqual(adjacent.get(second), [first, third]);
      assert.deepEqual(adjacent.get(first), [second]);
      assert.deepEqual((await store.search.adjacent([untagged], { namespace: 'default' })).get(untagged), [
        second,
        third,
      ]);
      assert.deepEqual(await store.search.adjacent([], { namespace: 'default' }), new Map());
    });

    it('finds any of the words, stemmed, best match first, within the filter', async () => {
      const stored = await store.memories.insertMany([
        memory('The billing decision: PostgreSQL for billing and invoices', { memoryType: 'decision' }),
        memory('We decided on a billing provider'),
        memory('Lunch was pasta'),
        memory('Billing notes for another team', { namespace: 'elsewhere' }),
      ]);
      const [decision, decided] = stored.map((outcome) => outcome.memory.id);
      const hits = await store.search.keywordCandidates(['billing', 'decisions'], { namespace: 'default' }, 10);
      assert.deepEqual(
        hits.map((hit) => hit.id),
        [decision, decided],
      );
      assert.ok(hits[0].bm25 > hits[1].bm25 && hits[1].bm25 > 0);
      const typed = await store.search.keywordCandidates(
        ['billing'],
        { namespace: 'default', memoryType: 'decision' },
        10,
      );
      assert.deepEqual(
        typed.map((hit) => hit.id),
        [decision],
      );
    });

    it("scores keyword matches by BM25 over the namespace's live memories, as FTS5 computes it", async () => {
      const texts = [
        'river stone cloud',
        'river river forest lake meadow hill',
        'stone forest',
        'cloud hill valley',
        'valley meadow',
        'lake lake lake',
      ];
      const stored = await store.memories.insertMany(texts.map((text) => memory(text)));
      await store.memories.insertMany([
        memory('river canyon', { namespace: 'elsewhere' }),
        memory('desert dune sand wind river', { namespace: 'elsewhere' }),
      ]);
      const [bothTerms, twoRivers, stone] = stored.map((outcome) => outcome.memory.id);
      // Six live memories of 19 words in the namespace; "river" is in two of them, "stone" in two.
      // The other namespace's memories count for nothing.
      const averageLength = 19 / 6;
      const idf = (rows: number) => Math.log((6 - rows + 0.5) / (rows + 0.5));
      const term = (rows: number, tf: number, length: number) =>
        (idf(rows) * tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * length) / averageLength));
      const hits = await store.search.keywordCandidates(['river', 'stone'], { namespace: 'default' }, 10);
      // The rarer word outweighs a second occurrence of the commoner one in a longer memory.
      assert.deepEqual(
        hits.map((hit) => hit.id),
        [bothTerms, stone, twoRivers],
      );
      const expected = [term(2, 1, 3) + term(2, 1, 3), term(2, 1, 2), term(2, 2, 6)];
      hits.forEach((hit, i) => assert.ok(Math.abs(hit.bm25 - expected[i]) < 1e-9, `${hit.bm25} ≠ ${expected[i]}`));
    });

    it("never lets another namespace's writes move a namespace's keyword scores", async () => {
      const texts = ['the river runs past the stone mill', 'a river of stone', 'mill pond', 'stone stone wall'];
      const others = ['lunch was pasta', 'the train was late', 'call the bank', 'buy milk', 'read a book', 'rain'];
      await store.memories.insertMany([...texts, ...others].map((text) => memory(text)));
      const search = async () =>
        (await store.search.keywordCandidates(['river', 'stone', 'mill'], { namespace: 'default' }, 10)).map((hit) => [
          hit.id,
          Math.round(hit.bm25 * 1e9) / 1e9,
        ]);
      const alone = await search();
      assert.equal(alone.length, 4);
      // Another tenant writes the same words, in longer and shorter memories, and an edit changes one.
      const theirs = await store.memories.insertMany(
        [
          'river river river',
          'stone',
          'a mill by the river, built of stone, with a long history of river trade',
          'nothing in common here',
        ].map((text) => memory(text, { namespace: 'tenant-b' })),
      );
      assert.deepEqual(await search(), alone, 'their memories move nothing');
      await store.memories.update(theirs[3].memory.id, 'tenant-b', {
        content: 'mill mill mill',
        contentHash: contentHash('mill mill mill'),
        updatedAt: T0 + DAY,
      });
      await store.memories.softDelete(theirs[1].memory.id, T0 + DAY);
      assert.deepEqual(await search(), alone, 'their edits and deletions move nothing');
      await store.memories.hardDelete(theirs[0].memory.id);
      for (const outcome of theirs.slice(2)) await store.memories.softDelete(outcome.memory.id, T0 + DAY);
      assert.deepEqual(await search(), alone, 'nor does their leaving');
    });

    it('treats hostile query text as plain words: no syntax error, no injection', async () => {
      await store.memories.insertMany([memory('quotes "and" operators & | ! : * ( ) stay text')]);
      for (const text of [
        '"unbalanced',
        "a' OR 1=1 --",
        'NEAR(a b) AND NOT c*',
        '!!&|:*()<->',
        "'); DROP TABLE memories; --",
      ]) {
        await store.search.keywordCandidates(keywordTerms(text), { namespace: 'default' }, 10);
      }
      const hits = await store.search.keywordCandidates(keywordTerms('operators (stay)'), { namespace: 'default' }, 10);
      assert.equal(hits.length, 1);
      assert.equal(await store.memories.countAllLive(), 1);
    });
  });

  describe('audit log', () => {
    const entry = (at: number, fields: Partial<NewAuditEvent> = {}): NewAuditEvent => ({
      at,
      action: AuditAction.KeyCreate,
      outcome: 'success',
      principal: { kind: 'api_key', id: 'key-1', name: 'ops' },
      namespace: null,
      clientAddress: '127.0.0.1',
      target: 'key-9',
      details: {},
      ...fields,
    });

    it('pages newest first through filters, and prunes by age', async () => {
      await store.audit.append(entry(T0, { details: { scopes: ['read'] } }));
      await store.audit.append(
        entry(T0 + 1, { action: AuditAction.Restore, principal: { kind: 'local', id: 'local', name: null } }),
      );
      await store.audit.append(entry(T0 + 2, { namespace: 'team-a' }));
      await store.audit.append(entry(T0 + 3));

      const first = await store.audit.find({ limit: 2 });
      assert.deepEqual(
        first.events.map((event) => event.at),
        [T0 + 3, T0 + 2],
      );
      const second = await store.audit.find({ limit: 2, before: first.nextCursor! });
      assert.deepEqual(
        second.events.map((event) => event.at),
        [T0 + 1, T0],
      );
      assert.equal(second.nextCursor, null);
      assert.deepEqual(second.events[1].details, { scopes: ['read'] });
      assert.deepEqual(second.events[0].principal, { kind: 'local', id: 'local', name: null });

      const filtered = await store.audit.find({
        limit: 10,
        action: AuditAction.KeyCreate,
        since: T0 + 1,
        until: T0 + 3,
      });
      assert.deepEqual(
        filtered.events.map((event) => [event.at, event.namespace]),
        [[T0 + 2, 'team-a']],
      );
      assert.equal((await store.audit.find({ limit: 10, principal: 'local' })).events.length, 1);
      assert.equal((await store.audit.find({ limit: 10, namespace: 'team-a' })).events.length, 1);

      assert.equal(await store.audit.pruneBefore(T0 + 2), 2);
      assert.deepEqual(
        (await store.audit.find({ limit: 10 })).events.map((event) => event.at),
        [T0 + 3, T0 + 2],
      );
    });
  });

  describe('settings and model binding', () => {
    it('gives the store a random id that stays across reopening, and records the bound model', async () => {
      const id = await store.settings.storeId();
      assert.match(id, /^[0-9a-f]{32}$/);
      assert.deepEqual(await store.settings.embeddingModel(), MODEL);
      await store.close();
      store = await adapter.open(MODEL);
      assert.equal(await store.settings.storeId(), id);
      await adapter.wipe();
      await store.close();
      store = await adapter.open(MODEL);
      assert.notEqual(await store.settings.storeId(), id);
    });

    it("refuses to open another model's store once it holds vectors, and lets an empty one switch", async () => {
      await store.close();
      store = await adapter.open({ modelId: 'other-model', dimension: 16 });
      assert.deepEqual(await store.settings.embeddingModel(), { modelId: 'other-model', dimension: 16 });
      await store.memories.insertMany([memory('sixteen', { embedding: new Float32Array(16).fill(0.25) })]);
      await store.close();
      await assert.rejects(() => adapter.open(MODEL), EmbeddingModelMismatch);
      store = await adapter.open({ modelId: 'other-model', dimension: 16 });
      assert.equal(await store.memories.countAllLive(), 1);
    });

    it("opens a store recorded under the bundled model's former int8 id as that model's, and records it so", async () => {
      const bundled = { modelId: 'use-lite-512@energetic-ai-0.2.0', dimension: 8 };
      await store.close();
      await adapter.wipe();
      store = await adapter.open({ ...bundled, modelId: 'use-lite-512-int8@energetic-ai-0.2.0' });
      await store.memories.insertMany([memory('made in int8', { embedding: new Float32Array(8).fill(0.5) })]);
      await store.close();
      store = await adapter.open(bundled);
      assert.deepEqual(await store.settings.embeddingModel(), bundled);
      assert.equal(await store.memories.countAllLive(), 1);
    });
  });
}
