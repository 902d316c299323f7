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

/**
 * Usage counts and ratings of memories (`memory_usage`): written in batches off the read path, read to
 * score quality.
 */
export abstract class UsageStore {
  /** Adds a batch of uses in one transaction; uses of memories deleted for good meanwhile are dropped. */
  abstract addUses(deltas: readonly UsageDelta[]): Promise<void>;
  /** Records one explicit rating (-1, 0 or 1) with optional feedback; answers the memory's signals. */
  abstract addRating(memoryId: number, rating: number, feedback: string | null): Promise<UsageSignals>;
  abstract signalsOf(memoryIds: readonly number[]): Promise<Map<number, UsageSignals>>;
  /** Every current (live, not superseded) memory of the namespace with its signals, read in bounded pages. */
  abstract currentMemories(namespace: string): AsyncIterable<MemoryUsageRow>;
}
