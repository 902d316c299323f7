import { toMemoryView } from '../memories/memory.view';
import { SearchHit } from './search-hit';

/** A search hit as REST and MCP answer it: the memory, its scores and why it matched. */
export function toHitView(hit: SearchHit) {
  return {
    memory: toMemoryView(hit.memory),
    score: hit.score,
    similarity_score: hit.similarity,
    keyword_score: hit.keywordScore,
    rerank_score: hit.rerankScore ?? null,
    signals: hit.signals ?? null,
    relevance_reason: hit.reason,
    ...(hit.quality === undefined ? {} : { quality_score: hit.quality }),
  };
}
