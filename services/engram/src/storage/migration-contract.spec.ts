import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { OpenedStorage, postgresAdapter, sqliteAdapter, StorageAdapterUnderTest } from '../testing/storage-adapters';
import { ApiKeyRecord } from './api-key.store';
import { MigratedMemory } from './memory.record';
import { ClientRecord } from './oauth.store';

const MODEL = { modelId: 'migration-contract-model', dimension: 8 };
const T0 = Date.UTC(2026, 0, 1);

function migrated(id: number, fields: Partial<MigratedMemory> = {}): MigratedMemory {
  return {
    id,
    namespace: 'alpha',
    contentHash: `hash-${id}`,
    content: `memory number ${id}`,
    memoryType: 'note',
    metadata: { source: 'migration', n: id },
    tags: ['b-tag', 'a-tag'],
    createdAt: T0 + id,
    updatedAt: T0 + id * 2,
    deletedAt: null,
    // Not representable in fewer bits than float32 holds: a rounding on the way would show.
    embedding: Float32Array.from([0.1 * id, -0.3, 1 / 3, 0.7, 0.11, -0.9, 0.05, 1 / 7]),
    ...fields,
  };
}

/**
 * The ports `engram migrate-storage` writes and reads raw records through, run against every adapter:
 * memories keep ids, times, tags, trash state and vectors exactly; links are set by id; API keys are
 * read with their digests; OAuth clients keep their approval time.
 */
for (const adapter of [sqliteAdapter(), postgresAdapter()]) {
  describe(`Migration contract: ${adapter.name}`, () => contract(adapter));
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
    it('imports memories with their ids, times, tags, metadata and trash state', async () => {
      await store.memories.importMemories([
        migrated(3),
        migrated(7, { namespace: 'beta', tags: [] }),
        migrated(9, { deletedAt: T0 + 99, embedding: undefined }),
      ]);
      const page = await store.memories.exportPage(undefined, 0, 10, true);
      assert.deepEqual(
        page.map((memory) => [memory.id, memory.namespace, memory.tags, memory.deletedAt]),
        [
          [3, 'alpha', ['a-tag', 'b-tag'], null],
          [7, 'beta', [], null],
          [9, 'alpha', ['a-tag', 'b-tag'], T0 + 99],
        ],
      );
      const [three] = page;
      assert.deepEqual(
        {
          content: three.content,
          hash: three.contentHash,
          type: three.memoryType,
          metadata: three.metadata,
          created: three.createdAt,
          updated: three.updatedAt,
        },
        {
          content: 'memory number 3',
          hash: 'hash-3',
          type: 'note',
          metadata: { source: 'migration', n: 3 },
          created: T0 + 3,
          updated: T0 + 6,
        },
      );
      assert.equal((await store.memories.findDeletedByHash('alpha', 'hash-9'))?.id, 9);
      assert.equal(await store.memories.findLiveByHash('alpha', 'hash-9'), undefined);
    });

    it('stores the given vectors bit for bit, none for a tombstone, and they are searchable', async () => {
      await store.memories.importMemories([
        migrated(1),
        migrated(2),
        migrated(5, { deletedAt: T0, embedding: undefined }),
      ]);
      const vectors = await store.search.embeddingsOf([1, 2, 5]);
      assert.deepEqual([...vectors.keys()].sort(), [1, 2]);
      assert.deepEqual(vectors.get(2), migrated(2).embedding);
      const nearest = await store.search.vectorCandidates(migrated(2).embedding!, { namespace: 'alpha' }, 1);
      assert.equal(nearest[0].id, 2);
    });

    it('keeps a tombstone beside a live memory of the same text', async () => {
      await store.memories.importMemories([
        migrated(1, { deletedAt: T0, embedding: undefined }),
        migrated(2, { contentHash: 'hash-1', content: 'memory number 1' }),
      ]);
      assert.equal((await store.memories.findLiveByHash('alpha', 'hash-1'))?.id, 2);
      assert.equal((await store.memories.findDeletedByHash('alpha', 'hash-1'))?.id, 1);
    });

    it('gives memories stored after an import ids past the imported ones', async () => {
      await store.memories.importMemories([migrated(40)]);
      const [outcome] = await store.memories.insertMany([
        { ...migrated(0), contentHash: 'fresh', content: 'stored after the import', embedding: migrated(1).embedding! },
      ]);
      assert.ok(outcome.created);
      assert.ok(outcome.memory.id > 40, `new id ${outcome.memory.id}`);
    });

    it('sets supersession links by id; the history follows them', async () => {
      await store.memories.importMemories([migrated(1), migrated(2)]);
      await store.memories.importLinks([
        { id: 1, supersededBy: 2, supersedes: null, validTo: T0 + 500 },
        { id: 2, supersededBy: null, supersedes: 1, validTo: null },
      ]);
      const [old, current] = await store.memories
        .findInNamespace('alpha', [1, 2])
        .then((found) => found.sort((a, b) => a.id - b.id));
      assert.deepEqual([old.supersededBy, old.supersedes, old.validTo], ['hash-2', null, T0 + 500]);
      assert.deepEqual([current.supersededBy, current.supersedes, current.validTo], [null, 'hash-1', null]);
      assert.deepEqual(
        (await store.memories.history('alpha', 2)).map((memory) => memory.id),
        [1, 2],
      );
    });
  });

  it('lists every API key with its secret digest, oldest first', async () => {
    const key = (id: string, createdAt: number): ApiKeyRecord => ({
      id,
      name: `key ${id}`,
      prefix: `egk_${id}`,
      scopes: ['read', 'write'],
      namespace: id === 'k2' ? 'team' : null,
      createdAt,
      lastUsedAt: null,
      expiresAt: id === 'k2' ? T0 + 1000 : null,
      revokedAt: null,
    });
    await store.apiKeys.insert(key('k2', T0 + 1), 'digest-2');
    await store.apiKeys.insert(key('k1', T0), 'digest-1');
    await store.apiKeys.revoke('k1', T0 + 5);
    assert.deepEqual(await store.apiKeys.listWithSecretHashes(), [
      { record: { ...key('k1', T0), revokedAt: T0 + 5 }, secretHash: 'digest-1' },
      { record: key('k2', T0 + 1), secretHash: 'digest-2' },
    ]);
  });

  it('imports an OAuth client with its approval time, or none', async () => {
    const client = (clientId: string, grantedAt: number | null): ClientRecord => ({
      clientId,
      secretHash: clientId === 'approved' ? 'secret-digest' : null,
      metadata: {
        redirect_uris: ['https://connector.example.com/callback'],
        token_endpoint_auth_method: clientId === 'approved' ? 'client_secret_post' : 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        client_name: `Connector ${clientId}`,
      },
      createdAt: T0,
      source: 'registration',
      grantedAt,
    });
    await store.oauth.importClient(client('approved', T0 + 10));
    await store.oauth.importClient(client('waiting', null));
    assert.deepEqual(await store.oauth.findClient('approved'), client('approved', T0 + 10));
    assert.deepEqual(await store.oauth.findClient('waiting'), client('waiting', null));
  });
}
