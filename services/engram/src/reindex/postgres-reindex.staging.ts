import { PostgresDatabase, Queryable, vectorLiteral } from '../storage/postgres/postgres.database';
import { createVectorIndex, createVectorTable, VECTOR_TABLE } from '../storage/postgres/postgres-vector-table';
import { PendingMemory, ReindexStaging, StagedVector, SwitchOutcome } from './reindex-staging';

/** Held by begin and the switch: two workers never restart or switch the same staging at once. */
const REINDEX_LOCK = 0x656e7278; // "enrx"
/** Where the new vector table is built before it takes the live one's name. */
const NEXT_TABLE = `${VECTOR_TABLE}_next`;
/** Staged vectors of live memories, as `r`. */
const STAGED_LIVE = 'reindex_vectors r JOIN memories m ON m.id = r.memory_id AND m.deleted_at IS NULL';
/** Live memories without a staged vector of their current content (the same rule as SQLite's). */
const PENDING = `memories m LEFT JOIN reindex_vectors r ON r.memory_id = m.id
  WHERE m.deleted_at IS NULL AND (r.memory_id IS NULL OR r.content_hash <> m.content_hash)`;

/**
 * ReindexStaging on PostgreSQL: the staging tables of migration 9 (vectors of any dimension), and a
 * switch that builds the new vector table and its HNSW index beside the live one before it stops
 * writers, then checks, catches up and swaps names in the same transaction, so searches see the old
 * vectors until the commit and the new ones after.
 */
export class PostgresReindexStaging extends ReindexStaging {
  constructor(private readonly db: PostgresDatabase) {
    super();
  }

  async storedModel(): Promise<string | undefined> {
    const [row] = await this.db.query<{ value: string }>("SELECT value FROM settings WHERE key = 'embedding_model'");
    return row?.value;
  }

  begin(model: string, dimension: number): Promise<{ resumed: boolean }> {
    return this.db.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [REINDEX_LOCK]);
      const [current] = await client.query<{ model: string; dimension: number }>(
        'SELECT model, dimension FROM reindex_target WHERE id = 1',
      );
      const resumed = current?.model === model && current.dimension === dimension;
      if (!resumed) {
        await client.query('TRUNCATE reindex_vectors');
        await client.query(`DROP TABLE IF EXISTS ${NEXT_TABLE}`); // built for the previous target
        await client.query(
          `INSERT INTO reindex_target (id, model, dimension) VALUES (1, $1, $2)
           ON CONFLICT (id) DO UPDATE SET model = excluded.model, dimension = excluded.dimension`,
          [model, dimension],
        );
      }
      // Created here, in a short transaction: creating its foreign key stops writers to memories until
      // the commit, which in the switch would be for the whole index build.
      await createVectorTable(client, dimension, NEXT_TABLE);
      return { resumed };
    });
  }

  pending(afterId: number, limit: number): Promise<PendingMemory[]> {
    return this.db.query<PendingMemory>(
      `SELECT m.id, m.content, m.content_hash AS "contentHash" FROM ${PENDING} AND m.id > $1 ORDER BY m.id LIMIT $2`,
      [afterId, limit],
    );
  }

  async countPending(): Promise<number> {
    return countOf(this.db, PENDING);
  }

  async countLive(): Promise<number> {
    return countOf(this.db, 'memories WHERE deleted_at IS NULL');
  }

  /** One statement, so one transaction; a memory purged since it was read is skipped, not an error. */
  async stage(vectors: readonly StagedVector[]): Promise<void> {
    if (vectors.length === 0) return;
    await this.db.query(
      `INSERT INTO reindex_vectors (memory_id, content_hash, embedding)
       SELECT s.memory_id, s.content_hash, s.embedding::vector
       FROM unnest($1::bigint[], $2::text[], $3::text[]) AS s (memory_id, content_hash, embedding)
       JOIN memories m ON m.id = s.memory_id
       ON CONFLICT (memory_id) DO UPDATE SET content_hash = excluded.content_hash, embedding = excluded.embedding`,
      [
        vectors.map((vector) => vector.memoryId),
        vectors.map((vector) => vector.contentHash),
        vectors.map((vector) => vectorLiteral(vector.embedding)),
      ],
    );
  }

  async switchToStaged(): Promise<SwitchOutcome> {
    const started = performance.now();
    const outcome = await this.db.transaction(async (client): Promise<SwitchOutcome> => {
      // Building the index takes as long as it takes; a time-out would only make the next attempt redo it.
      await client.query('SET LOCAL statement_timeout = 0');
      await client.query('SET LOCAL lock_timeout = 0');
      await client.query('SELECT pg_advisory_xact_lock($1)', [REINDEX_LOCK]);
      const [target] = await client.query<{ model: string; dimension: number }>(
        'SELECT model, dimension FROM reindex_target WHERE id = 1',
      );
      if (!target) throw new Error('No reindex in progress: nothing to switch to');
      // The slow part (the HNSW build) while writers carry on; kept when the switch is refused, so the
      // next attempt only catches up.
      await prepareNextTable(client, target.dimension);
      // Writers wait from here to the commit (readers do not): nothing can change unstaged between the
      // check and the switch.
      await client.query('LOCK TABLE memories IN SHARE MODE');
      const pending = await countOf(client, PENDING);
      if (pending > 0) return { switched: false, pending };
      await catchUpNextTable(client);
      const vectors = await countOf(client, NEXT_TABLE);
      await client.query(
        `INSERT INTO settings (key, value) VALUES ('embedding_model', $1), ('embedding_dimension', $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [target.model, String(target.dimension)],
      );
      await client.query('TRUNCATE reindex_vectors');
      await client.query('DELETE FROM reindex_target');
      await swapInNextTable(client);
      return { switched: true, vectors, transactionMs: 0 };
    });
    return outcome.switched ? { ...outcome, transactionMs: Math.round(performance.now() - started) } : outcome;
  }
}

/**
 * The new vector table beside the live one, at the target dimension (begin created it): filled with the
 * staged vectors of live memories and indexed after the bulk fill the first time, brought up to date on
 * later attempts.
 */
async function prepareNextTable(client: Queryable, dimension: number): Promise<void> {
  await createVectorTable(client, dimension, NEXT_TABLE);
  await catchUpNextTable(client);
  await createVectorIndex(client, NEXT_TABLE);
}

/** Drops rows of memories deleted or re-staged since, then adds every staged vector of a live memory missing. */
async function catchUpNextTable(client: Queryable): Promise<void> {
  await client.query(
    `DELETE FROM ${NEXT_TABLE} n WHERE NOT EXISTS (
       SELECT 1 FROM ${STAGED_LIVE} WHERE r.memory_id = n.memory_id AND r.embedding = n.embedding)`,
  );
  await client.query(
    `INSERT INTO ${NEXT_TABLE} (memory_id, embedding) SELECT r.memory_id, r.embedding FROM ${STAGED_LIVE}
     WHERE NOT EXISTS (SELECT 1 FROM ${NEXT_TABLE} n WHERE n.memory_id = r.memory_id)`,
  );
}

/**
 * Drops the live table and gives the new one its names. Last, because dropping the live table's foreign
 * key locks memories against readers too until the commit: searches pause only for these renames.
 */
async function swapInNextTable(client: Queryable): Promise<void> {
  await client.query(`DROP TABLE ${VECTOR_TABLE}`);
  await client.query(`ALTER TABLE ${NEXT_TABLE} RENAME TO ${VECTOR_TABLE}`);
  await client.query(`ALTER TABLE ${VECTOR_TABLE} RENAME CONSTRAINT ${NEXT_TABLE}_pkey TO ${VECTOR_TABLE}_pkey`);
  await client.query(
    `ALTER TABLE ${VECTOR_TABLE} RENAME CONSTRAINT ${NEXT_TABLE}_memory_id_fkey TO ${VECTOR_TABLE}_memory_id_fkey`,
  );
  await client.query(`ALTER INDEX ${NEXT_TABLE}_hnsw RENAME TO ${VECTOR_TABLE}_hnsw`);
}

async function countOf(db: Queryable, from: string): Promise<number> {
  const [row] = await db.query<{ count: number }>(`SELECT count(*) AS count FROM ${from}`);
  return row.count;
}
