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
}

/** The HNSW cosine index search walks; built after a bulk fill, which is much faster than row by row. */
export async function createVectorIndex(client: Queryable, table = VECTOR_TABLE): Promise<void> {
  await client.query(`CREATE INDEX IF NOT EXISTS ${table}_hnsw ON ${table} USING hnsw (embedding vector_cosine_ops)`);
}
