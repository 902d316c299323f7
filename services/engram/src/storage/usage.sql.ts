import { MemoryUsageRow, UsageSignals } from './usage.store';

/**
 * Rows read per page when walking a namespace's memories with their signals. Each row carries its whole
 * text (the duplicate check compares whole texts), so a page holds at most this many memory-size texts.
 */
export const USAGE_PAGE = 250;

export interface UsageRow {
  memory_id: number;
  retrievals: number;
  fetches: number;
  last_used_at: number | null;
  rating_sum: number;
  rating_count: number;
  last_rating: number | null;
  last_feedback: string | null;
}

export type UsageMemoryRow = UsageRow & {
  content_hash: string;
  content: string;
  memory_type: string;
  created_at: number;
};

/**
 * One page of a namespace's current memories with their signals, after a memory id (keyset paging keeps
 * memory bounded and each page one short statement). `memories` is the statement's `memories AS m`: an
 * engine may name the index it walks in id order. The usage rows are bounded below by the same id:
 * PostgreSQL merges the page with memory_usage in id order, and without the bound read every usage row
 * before the page for each page (a walk quadratic in the memories used). `?` placeholders (numbered for
 * PostgreSQL); parameters from currentMemoriesPageParams.
 */
export function currentMemoriesPage(memories = 'memories m'): string {
  return `SELECT m.id AS memory_id, m.content_hash, m.content,
    m.memory_type, m.created_at, coalesce(u.retrievals, 0) AS retrievals, coalesce(u.fetches, 0) AS fetches,
    u.last_used_at, coalesce(u.rating_sum, 0) AS rating_sum, coalesce(u.rating_count, 0) AS rating_count,
    u.last_rating, u.last_feedback
  FROM ${memories} LEFT JOIN memory_usage u ON u.memory_id = m.id AND u.memory_id > ?
  WHERE m.namespace = ? AND m.deleted_at IS NULL AND m.superseded_by IS NULL AND m.id > ?
  ORDER BY m.id LIMIT ?`;
}

/** The parameters of currentMemoriesPage for the page after memory `afterId`. */
export function currentMemoriesPageParams(namespace: string, afterId: number): [number, string, number, number] {
  return [afterId, namespace, afterId, USAGE_PAGE];
}

export function toSignals(row: UsageRow): UsageSignals {
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

export function toUsageRow(row: UsageMemoryRow): MemoryUsageRow {
  return {
    ...toSignals(row),
    memoryId: row.memory_id,
    contentHash: row.content_hash,
    content: row.content,
    memoryType: row.memory_type,
    createdAt: row.created_at,
  };
}
