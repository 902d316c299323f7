import { MemoryRecord } from '../storage/memory.record';
import { Signals } from '../config/relevance-model';

export interface SearchHit {
  memory: MemoryRecord;
  /**
   * What the results are ordered by. With the default `calibrated` fusion: the probability (0-1) that the
   * memory is relevant, comparable across queries; with a reranker, the reranker's relevance score. With
   * `weighted_average` or `rrf`: the fused value, or cosine / BM25 in semantic / keyword mode.
   */
  score: number;
  /** Cosine similarity between query and memory, -1…1. */
  similarity: number | null;
  /** BM25 relevance when the memory matched query words. */
  keywordScore: number | null;
  /** What the relevance model saw (calibrated scoring only): per-leg figures and the other signals. */
  signals?: Signals;
  /** The reranker's score, when the rerank stage ordered the results. */
  rerankScore?: number;
  reason: string;
  /** The memory's quality score, when the search blended quality into the ranking (quality_boost). */
  quality?: number;
}

/** Whether the rerank stage ordered the results, and if not, why. */
export type RerankStatus =
  | { applied: true; model: string | null }
  | { applied: false; reason: 'not_configured' | 'not_requested' | 'timeout' | 'error' };
