import { MemoryFilter } from './memory-filter.sql';

export interface ScoredId {
  id: number;
  /** Cosine distance (0 = same direction, 2 = opposite). */
  distance: number;
}

export interface KeywordHit {
  id: number;
  /** The engine's keyword relevance, larger is better (SQLite: BM25; PostgreSQL: ts_rank_cd). */
  bm25: number;
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
  /** Exact cosine distances of the given memories to the vector. */
  /** The stored vector of a memory, if it has one. */
  abstract embeddingOf(id: number): Promise<Float32Array | undefined>;
  abstract distances(ids: readonly number[], vector: Float32Array): Promise<ScoredId[]>;
  /**
   * For each id, the live memories the filter admits that were stored right before and right after it
   * (the nearest ids within ADJACENT_ID_REACH).
   */
  abstract adjacent(ids: readonly number[], filter: MemoryFilter): Promise<Map<number, number[]>>;
}
