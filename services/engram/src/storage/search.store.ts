import { MemoryFilter } from './memory-filter.sql';

export interface ScoredId {
  id: number;
  /** Cosine distance (0 = same direction, 2 = opposite). */
  distance: number;
}

export interface KeywordHit {
  id: number;
  /** BM25 relevance (k1 1.2, b 0.75, as SQLite's FTS5 computes it), larger is better. */
  bm25: number;
}

/**
 * A keyword term in more memories than this is common: see splitByFrequency. BM25 work grows with the
 * rows ranked: at 100k memories 5,000 cost ~7.5 ms a query, 1,000 ~3.4 ms (docs/architecture.md).
 */
export const COMMON_TERM_ROWS = 1_000;
/**
 * With common terms only, how many of the newest matches the keyword ranking scores. Never below
 * COMMON_TERM_ROWS: SQLite's ranking reads rare terms' holders through the same window.
 */
export const RECENT_MATCHES_RANKED = 1_000;

/**
 * Bounds the keyword ranking's work the same way on every backend. Rare terms, rarest first, as long as
 * their matches together stay within COMMON_TERM_ROWS; the rest are common; terms in no memory are
 * dropped. With rare terms, only memories holding one are ranked (by the full query); with common terms
 * only, the RECENT_MATCHES_RANKED newest matches are.
 */
export function splitByFrequency<Term>(
  counted: readonly { term: Term; rows: number }[],
  commonTermRows = COMMON_TERM_ROWS,
): { rare: Term[]; common: Term[] } {
  const rare: Term[] = [];
  const common: Term[] = [];
  let rows = 0;
  for (const { term, rows: termRows } of [...counted].sort((a, b) => a.rows - b.rows)) {
    if (termRows === 0) continue;
    if (rows + termRows <= commonTermRows) {
      rare.push(term);
      rows += termRows;
    } else common.push(term);
  }
  return { rare, common };
}

/** How far (in ids) `adjacent` looks either side, so the look-up stays bounded when namespaces interleave. */
export const ADJACENT_ID_REACH = 16;

/**
 * The storage port for search candidates: both lists hybrid search fuses, already filtered. How they are
 * found (indexes, quantisation, query syntax) is the adapter's; ranking rules live in SearchService.
 */
export abstract class SearchStore {
  /** Memories containing any of the terms, most relevant first. Terms are plain words, never syntax. */
  abstract keywordCandidates(terms: readonly string[], filter: MemoryFilter, k: number): Promise<KeywordHit[]>;
  /** The k live memories nearest to the vector among those the filter admits, by cosine distance. */
  abstract vectorCandidates(vector: Float32Array, filter: MemoryFilter, k: number): Promise<ScoredId[]>;
  /**
   * Whether a vector search runs aside from the caller's thread (on another thread or connection), so the
   * caller is free to run the keyword leg while it searches. When not, the search is work on the caller's
   * thread, and the keyword leg is better run while the query is being embedded.
   */
  abstract vectorSearchRunsAside(): boolean;
  /** The stored vectors of the memories that have one, by id. */
  abstract embeddingsOf(ids: readonly number[]): Promise<Map<number, Float32Array>>;
  /** Exact cosine distances of the given memories to the vector. */
  abstract distances(ids: readonly number[], vector: Float32Array): Promise<ScoredId[]>;
  /**
   * For each id, the live memories the filter admits that were stored right before and right after it
   * (the nearest ids within ADJACENT_ID_REACH).
   */
  abstract adjacent(ids: readonly number[], filter: MemoryFilter): Promise<Map<number, number[]>>;
}
