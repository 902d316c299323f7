import { PROBED_MEMORIES } from '../memory-filter.sql';
import { PreparedStatements } from '../prepared-statements';
import { SqliteDatabase } from '../sqlite.connection';
import { MemoryUsageRow, NO_USE, UsageDelta, UsageSignals, UsageStore } from '../usage.store';
import {
  currentMemoriesPage,
  currentMemoriesPageParams,
  toSignals,
  toUsageRow,
  USAGE_PAGE,
  UsageMemoryRow,
  UsageRow,
} from '../usage.sql';

/**
 * A page of a namespace's current memories, walked in id order through the filter-probe index (migration
 * 025), which holds every column the page checks. Left to itself SQLite took the namespace's creation-time
 * index and sorted all of the namespace's memories for every page of 250: a walk (quality distribution,
 * cleanup, a consolidation run) read the namespace once per page, 34 s at 100,000 memories.
 */
export const SQLITE_CURRENT_MEMORIES_PAGE = currentMemoriesPage(PROBED_MEMORIES);

/** UsageStore on SQLite. */
export class SqliteUsageStore extends UsageStore {
  private readonly statements: PreparedStatements;

  constructor(private readonly db: SqliteDatabase) {
    super();
    this.statements = new PreparedStatements(db);
  }

  async addUses(deltas: readonly UsageDelta[]): Promise<void> {
    const upsert = this.statements.get(
      `INSERT INTO memory_usage (memory_id, retrievals, fetches, last_used_at)
       SELECT id, ?, ?, ? FROM memories WHERE id = ?
       ON CONFLICT (memory_id) DO UPDATE SET retrievals = retrievals + excluded.retrievals,
         fetches = fetches + excluded.fetches, last_used_at = max(coalesce(last_used_at, 0), excluded.last_used_at)`,
    );
    this.db
      .transaction(() => {
        for (const delta of deltas) upsert.run(delta.retrievals, delta.fetches, delta.lastUsedAt, delta.memoryId);
      })
      .immediate();
  }

  async addRating(memoryId: number, rating: number, feedback: string | null): Promise<UsageSignals> {
    this.statements
      .get(
        `INSERT INTO memory_usage (memory_id, rating_sum, rating_count, last_rating, last_feedback) VALUES (?, ?, 1, ?, ?)
         ON CONFLICT (memory_id) DO UPDATE SET rating_sum = rating_sum + excluded.rating_sum,
           rating_count = rating_count + 1, last_rating = excluded.last_rating, last_feedback = excluded.last_feedback`,
      )
      .run(memoryId, rating, rating, feedback);
    return (await this.signalsOf([memoryId])).get(memoryId) ?? NO_USE;
  }

  async signalsOf(memoryIds: readonly number[]): Promise<Map<number, UsageSignals>> {
    if (memoryIds.length === 0) return new Map();
    const rows = this.statements
      .get('SELECT * FROM memory_usage WHERE memory_id IN (SELECT value FROM json_each(?))')
      .all(JSON.stringify(memoryIds)) as UsageRow[];
    return new Map(rows.map((row) => [row.memory_id, toSignals(row)]));
  }

  async *currentMemories(namespace: string): AsyncGenerator<MemoryUsageRow> {
    const page = this.statements.get(SQLITE_CURRENT_MEMORIES_PAGE);
    for (let after = 0; ;) {
      const rows = page.all(...currentMemoriesPageParams(namespace, after)) as UsageMemoryRow[];
      for (const row of rows) yield toUsageRow(row);
      if (rows.length < USAGE_PAGE) return;
      after = rows[rows.length - 1].memory_id;
    }
  }
}
