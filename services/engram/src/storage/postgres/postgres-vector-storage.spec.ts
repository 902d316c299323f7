import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestPostgres, TestPostgres } from '../../testing/postgres-test-server';
import { NewMemory } from '../memory.record';
import { openPostgresStores, PostgresStores } from './postgres.stores';

const MODEL = { modelId: 'inline-512', dimension: 512 };

function memory(i: number): NewMemory {
  return {
    namespace: 'default',
    contentHash: `inline-${i}`,
    content: `inline ${i}`,
    memoryType: 'note',
    metadata: {},
    tags: [],
    createdAt: 1_000 + i,
    updatedAt: 1_000 + i,
    embedding: Float32Array.from({ length: MODEL.dimension }, (_, d) => Math.sin(i * 13 + d)),
  };
}

/**
 * A 512-dimension vector (2 kB) is past the size at which PostgreSQL moves a value out of its row: pgvector's
 * default storage put every vector in the TOAST table, which an exact scan then read vector by vector.
 */
describe('vectors stay in their rows (PostgreSQL)', () => {
  let server: TestPostgres;
  let stores: PostgresStores;
  const open = () => openPostgresStores({ url: server.url, poolSize: 2, statementTimeoutMs: 30_000 }, MODEL);

  before(async () => {
    server = await startTestPostgres();
    stores = await open();
  });
  after(async () => {
    await stores.close();
    await server.close();
  });

  async function storage(): Promise<string> {
    const [row] = await stores.db.query<{ attstorage: string }>(
      `SELECT attstorage FROM pg_attribute WHERE attrelid = 'memory_embeddings'::regclass AND attname = 'embedding'`,
    );
    return row.attstorage;
  }

  async function toastedBytes(): Promise<number> {
    const [row] = await stores.db.query<{ bytes: number }>(
      `SELECT pg_relation_size(reltoastrelid)::integer AS bytes FROM pg_class WHERE oid = 'memory_embeddings'::regclass`,
    );
    return row.bytes;
  }

  it('keeps 512-dimension vectors in the rows of the vector table, none in its TOAST table', async () => {
    assert.equal(await storage(), 'm');
    await stores.memories.insertMany(Array.from({ length: 20 }, (_, i) => memory(i)));
    assert.equal(await toastedBytes(), 0);
  });

  it('moves the storage of a store made before to MAIN when it opens again', async () => {
    await stores.db.query('ALTER TABLE memory_embeddings ALTER COLUMN embedding SET STORAGE EXTERNAL');
    await (await open()).close();
    assert.equal(await storage(), 'm');
  });
});
