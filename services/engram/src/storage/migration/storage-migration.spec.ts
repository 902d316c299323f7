import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { OpenedStorage, sqliteAdapter } from '../../testing/storage-adapters';
import { NewMemory } from '../memory.record';
import { differences, migrateStorage, MigrationSide, summarise } from './storage-migration';

const MODEL = { modelId: 'migration-spec-model', dimension: 8 };
const T0 = Date.UTC(2026, 3, 1);

function memory(content: string, seed: number, namespace = 'alpha'): NewMemory {
  return {
    namespace,
    contentHash: `hash-${content}`,
    content,
    memoryType: 'note',
    metadata: { seed, z: 1, a: { y: 2, b: 3 } },
    tags: ['t'],
    createdAt: T0 + seed,
    updatedAt: T0 + seed,
    embedding: Float32Array.from({ length: 8 }, (_, i) => Math.cos(seed + i)),
  };
}

const side = (storage: OpenedStorage): MigrationSide => ({ stores: storage, agentFiles: storage.agentFiles() });

describe('storage migration (two SQLite stores)', () => {
  const [sourceAdapter, targetAdapter] = [sqliteAdapter(), sqliteAdapter()];
  let source: OpenedStorage;
  let target: OpenedStorage;
  before(async () => {
    await sourceAdapter.start();
    await targetAdapter.start();
  });
  after(async () => {
    await sourceAdapter.stop();
    await targetAdapter.stop();
  });
  beforeEach(async () => {
    await sourceAdapter.wipe();
    await targetAdapter.wipe();
    source = await sourceAdapter.open(MODEL);
    target = await targetAdapter.open(MODEL);
  });
  afterEach(async () => {
    await source.close();
    await target.close();
  });

  it('links to the live memory of a hash that also has a deleted copy, as the source does', async () => {
    const [old] = await source.memories.insertMany([memory('v1', 1)]);
    const replaced = await source.memories.insertSuperseding(old.memory.id, memory('v2', 2), T0 + 10);
    assert.ok('id' in replaced);
    // The successor's text deleted and stored again: "hash-v2" names a tombstone and a live memory.
    const [other] = await source.memories.insertMany([memory('v3', 3)]);
    const reused = await source.memories.insertSuperseding(other.memory.id, memory('v2b', 4), T0 + 20);
    assert.ok('id' in reused);
    await source.memories.softDelete(reused.id, T0 + 30);
    const [again] = await source.memories.insertMany([memory('v2b', 5)]);
    assert.ok(again.created);

    const progress: number[] = [];
    await migrateStorage(side(source), side(target), 5, ({ copied }) => progress.push(copied));
    assert.deepEqual(progress, [0, 5]);
    const read = (stores: OpenedStorage) => stores.memories.exportPage(undefined, 0, 100, true);
    assert.deepEqual(await read(target), await read(source));
    assert.deepEqual(
      (await target.memories.history('alpha', replaced.id)).map((m) => m.id),
      [old.memory.id, replaced.id],
    );
    assert.deepEqual(differences(await summarise(side(source)), await summarise(side(target))), []);
  });

  it('finds a changed tag, a deleted memory and a missing namespace in the target', async () => {
    await source.memories.insertMany([memory('a', 1), memory('b', 2), memory('c', 3, 'beta')]);
    await migrateStorage(side(source), side(target), 3, () => undefined);
    const [a, b] = await target.memories.exportPage('alpha', 0, 10);
    await target.memories.update(a.id, 'alpha', { tags: ['changed'], updatedAt: T0 + 99 });
    assert.deepEqual(differences(await summarise(side(source)), await summarise(side(target))), [
      'namespace alpha: checksums differ' +
        ` (${(await summarise(side(source))).namespaces.alpha.checksum.slice(0, 12)}` +
        ` vs ${(await summarise(side(target))).namespaces.alpha.checksum.slice(0, 12)})`,
    ]);
    await target.memories.softDelete(b.id, T0 + 100);
    const [c] = await target.memories.exportPage('beta', 0, 10);
    await target.memories.hardDelete(c.id);
    assert.deepEqual(differences(await summarise(side(source)), await summarise(side(target))), [
      'namespace alpha: 2 live and 0 deleted in the source, 1 live and 1 deleted in the target',
      'namespace beta: 1 live and 0 deleted in the source, nothing in the target',
      'vectors: 3 in the source, 1 in the target',
    ]);
  });

  it('gives the same checksum whatever order the metadata keys were stored in', async () => {
    await source.memories.insertMany([{ ...memory('a', 1), metadata: { x: 1, y: { p: 1, q: 2 } } }]);
    await target.memories.insertMany([{ ...memory('a', 1), metadata: { y: { q: 2, p: 1 }, x: 1 } }]);
    assert.deepEqual(differences(await summarise(side(source)), await summarise(side(target))), []);
  });
});
