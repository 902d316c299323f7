import { Queryable } from './postgres.database';

export const VECTOR_TABLE = 'memory_embeddings';

/**
 * The vector table at the model's dimension: created when a model is bound, and built beside the live
 * one (under another name) when a reindex switches models.
 */
export async function createVectorTable(client: Queryable, dimension: number, table = VECTOR_TABLE): Promise<void> {
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${table} (
       memory_id bigint PRIMARY KEY REFERENCES memories (id) ON DELETE CASCADE,
       embedding vector(${Number(dimension)}) NOT NULL)`,
  );
  await keepVectorsInline(client, table);
}

/**
 * pgvector stores a vector out of line (TOAST) once its row passes ~2 kB, 512 dimensions: every distance
 * an exact scan computes then reads it from the TOAST table first (1,512 vectors: 20-28 ms, against 9-10
 * ms inline). MAIN keeps it in the row unless the row cannot fit a page (~2,000 dimensions and more).
 * Vectors written before keep their place until rewritten (a reindex, a restore). The ALTER locks the
 * table, so it runs only when the storage is not MAIN yet: once per store, not at every start.
 */
async function keepVectorsInline(client: Queryable, table: string): Promise<void> {
  const [column] = await client.query<{ attstorage: string }>(
    `SELECT attstorage FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'embedding'`,
    [table],
  );
  if (column.attstorage !== 'm') await client.query(`ALTER TABLE ${table} ALTER COLUMN embedding SET STORAGE MAIN`);
}

/** The HNSW cosine index search walks; built after a bulk fill, which is much faster than row by row. */
export async function createVectorIndex(client: Queryable, table = VECTOR_TABLE): Promise<void> {
  await client.query(`CREATE INDEX IF NOT EXISTS ${table}_hnsw ON ${table} USING hnsw (embedding vector_cosine_ops)`);
}
