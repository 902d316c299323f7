import {
  currentMemoriesPage,
  currentMemoriesPageParams,
  toSignals,
  toUsageRow,
  USAGE_PAGE,
  UsageMemoryRow,
  UsageRow,
} from '../usage.sql';
import { MemoryUsageRow, NO_USE, UsageDelta, UsageSignals, UsageStore } from '../usage.store';
import { numbered, PostgresDatabase } from './postgres.database';

const CURRENT_MEMORIES_PAGE = numbered(currentMemoriesPage());

/** UsageStore on PostgreSQL: upserts that add to the counts, so replicas writing at once lose nothing. */
export class PostgresUsageStore extends UsageStore {
  constructor(private readonly db: PostgresDatabase) {
    super();
  }

  async addUses(deltas: readonly UsageDelta[]): Promise<void> {
    if (deltas.length === 0) return;
    // One statement for the batch; ids of memories deleted for good meanwhile find no row and drop out.
    // Rows are written in id order, so replicas flushing overlapping batches lock them in the same order:
    // in first-use order (what a nested loop over the batch gives, past some 10,000 memories) two such
    // flushes deadlocked and one batch of counts was lost.
    await this.db.query(
      `INSERT INTO memory_usage (memory_id, retrievals, fetches, last_used_at)
       SELECT m.id, d.retrievals, d.fetches, d.last_used_at
       FROM unnest($1::bigint[], $2::int[], $3::int[], $4::bigint[]) AS d(memory_id, retrievals, fetches, last_used_at)
       JOIN memories m ON m.id = d.memory_id
       ORDER BY m.id
       ON CONFLICT (memory_id) DO UPDATE SET retrievals = memory_usage.retrievals + excluded.retrievals,
         fetches = memory_usage.fetches + excluded.fetches,
         last_used_at = greatest(memory_usage.last_used_at, excluded.last_used_at)`,
      [
        deltas.map((delta) => delta.memoryId),
        deltas.map((delta) => delta.retrievals),
        deltas.map((delta) => delta.fetches),
        deltas.map((delta) => delta.lastUsedAt),
      ],
    );
  }

  async addRating(memoryId: number, rating: number, feedback: string | null): Promise<UsageSignals> {
    const [row] = await this.db.query<UsageRow>(
      `INSERT INTO memory_usage (memory_id, rating_sum, rating_count, last_rating, last_feedback)
       VALUES ($1, $2, 1, $2, $3)
       ON CONFLICT (memory_id) DO UPDATE SET rating_sum = memory_usage.rating_sum + excluded.rating_sum,
         rating_count = memory_usage.rating_count + 1, last_rating = excluded.last_rating,
         last_feedback = excluded.last_feedback
       RETURNING *`,
      [memoryId, rating, feedback],
    );
    return row ? toSignals(row) : NO_USE;
  }

  async signalsOf(memoryIds: readonly number[]): Promise<Map<number, UsageSignals>> {
    if (memoryIds.length === 0) return new Map();
    const rows = await this.db.query<UsageRow>('SELECT * FROM memory_usage WHERE memory_id = ANY($1::bigint[])', [
      memoryIds,
    ]);
    return new Map(rows.map((row) => [row.memory_id, toSignals(row)]));
  }

  async *currentMemories(namespace: string): AsyncGenerator<MemoryUsageRow> {
    for (let after = 0; ;) {
      const rows = await this.db.query<UsageMemoryRow>(
        CURRENT_MEMORIES_PAGE,
        currentMemoriesPageParams(namespace, after),
      );
      for (const row of rows) yield toUsageRow(row);
      if (rows.length < USAGE_PAGE) return;
      after = rows[rows.length - 1].memory_id;
    }
  }
}
