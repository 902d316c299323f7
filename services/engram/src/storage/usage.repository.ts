import { PreparedStatements } from './prepared-statements';
import { SqliteDatabase } from './sqlite.connection';

/** What is known about a memory's use: counts, last use, and its explicit ratings (-1, 0, 1). */
export interface UsageSignals {
  retrievals: number;
  fetches: number;
  lastUsedAt: number | null;
  ratingSum: number;
  ratingCount: number;
  lastRating: number | null;
  lastFeedback: string | null;
}

/** Uses of one memory gathered since the last write. */
export interface UsageDelta {
  memoryId: number;
  retrievals: number;
  fetches: number;
  lastUsedAt: number;
}

/** A current memory with its signals, for the namespace-wide distribution. */
export interface MemoryUsageRow extends UsageSignals {
  memoryId: number;
  contentHash: string;
  content: string;
  memoryType: string;
  createdAt: number;
}

export const NO_USE: UsageSignals = {
  retrievals: 0,
  fetches: 0,
  lastUsedAt: null,
  ratingSum: 0,
  ratingCount: 0,
  lastRating: null,
  lastFeedback: null,
};

interface UsageRow {
  memory_id: number;
  retrievals: number;
  fetches: number;
  last_used_at: number | null;
  rating_sum: number;
  rating_count: number;
  last_rating: number | null;
  last_feedback: string | null;
}

/** Usage counts and ratings of memories (`memory_usage`). */
export class UsageRepository {
  private readonly statements: PreparedStatements;

  constructor(private readonly db: SqliteDatabase) {
    this.statements = new PreparedStatements(db);
  }

  /** Adds a batch of uses in one transaction; uses of memories deleted for good meanwhile are dropped. */
  addUses(deltas: readonly UsageDelta[]): void {
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

  /** Records one explicit rating (-1, 0 or 1) with optional feedback. */
  addRating(memoryId: number, rating: number, feedback: string | null): UsageSignals {
    this.statements
      .get(
        `INSERT INTO memory_usage (memory_id, rating_sum, rating_count, last_rating, last_feedback) VALUES (?, ?, 1, ?, ?)
         ON CONFLICT (memory_id) DO UPDATE SET rating_sum = rating_sum + excluded.rating_sum,
           rating_count = rating_count + 1, last_rating = excluded.last_rating, last_feedback = excluded.last_feedback`,
      )
      .run(memoryId, rating, rating, feedback);
    return this.signalsOf([memoryId]).get(memoryId) ?? NO_USE;
  }

  signalsOf(memoryIds: readonly number[]): Map<number, UsageSignals> {
    if (memoryIds.length === 0) return new Map();
    const rows = this.statements
      .get('SELECT * FROM memory_usage WHERE memory_id IN (SELECT value FROM json_each(?))')
      .all(JSON.stringify(memoryIds)) as UsageRow[];
    return new Map(rows.map((row) => [row.memory_id, toSignals(row)]));
  }

  /** Every current (live, not superseded) memory of the namespace with its signals, one at a time. */
  *currentMemories(namespace: string): Generator<MemoryUsageRow> {
    const rows = this.statements
      .get(
        `SELECT m.id AS memory_id, m.content_hash, substr(m.content, 1, 200) AS content, m.memory_type, m.created_at,
                coalesce(u.retrievals, 0) AS retrievals, coalesce(u.fetches, 0) AS fetches, u.last_used_at,
                coalesce(u.rating_sum, 0) AS rating_sum, coalesce(u.rating_count, 0) AS rating_count,
                u.last_rating, u.last_feedback
         FROM memories m LEFT JOIN memory_usage u ON u.memory_id = m.id
         WHERE m.namespace = ? AND m.deleted_at IS NULL AND m.superseded_by IS NULL`,
      )
      .iterate(namespace) as IterableIterator<
      UsageRow & { content_hash: string; content: string; memory_type: string; created_at: number }
    >;
    for (const row of rows) {
      yield {
        ...toSignals(row),
        memoryId: row.memory_id,
        contentHash: row.content_hash,
        content: row.content,
        memoryType: row.memory_type,
        createdAt: row.created_at,
      };
    }
  }
}

function toSignals(row: UsageRow): UsageSignals {
  return {
    retrievals: row.retrievals,
    fetches: row.fetches,
    lastUsedAt: row.last_used_at,
    ratingSum: row.rating_sum,
    ratingCount: row.rating_count,
    lastRating: row.last_rating,
    lastFeedback: row.last_feedback,
  };
}
