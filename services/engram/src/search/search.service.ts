import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { currentNamespace } from '../auth/request-context';
import { EngramMetrics } from '../metrics/engram-metrics';
import { MemoryRecord } from '../storage/memory.record';
import { MemoryFilter } from '../storage/memory-filter.sql';
import { MemoryStore } from '../storage/memory.store';
import { CandidateRanker } from './candidate-ranker';
import { RerankStage } from './rerank-stage';
import { RerankStatus, SearchHit } from './search-hit';
import { SearchByTagInput, SearchByTimeInput, SearchInput, SearchMode } from './search.dto';
import { CreatedRange, resolveTimeFilter } from './time-filter';

/** A search as services and tools ask for it: the REST body's fields, reranking on unless said otherwise. */
export type SearchQuery = Omit<SearchInput, 'rerank'> & { rerank?: boolean };

export interface SearchOutcome {
  hits: SearchHit[];
  mode: SearchMode;
  range: CreatedRange;
  rerank: RerankStatus;
  elapsedMs: number;
}

/** Semantic, keyword and hybrid retrieval with filters; the rules of ranking live here. */
@Injectable()
export class SearchService {
  constructor(
    private readonly ranker: CandidateRanker,
    private readonly rerankStage: RerankStage,
    private readonly memories: MemoryStore,
    private readonly metrics: EngramMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async hybridSearch(input: SearchQuery): Promise<SearchOutcome> {
    const started = performance.now();
    const range = resolveTimeFilter(input, new Date(), this.config.search.timeZone);
    const filter: MemoryFilter = {
      namespace: currentNamespace(),
      tags: input.tags,
      tagMatch: input.tag_match,
      memoryType: input.memory_type,
      ...range,
    };
    const rerank = input.rerank !== false;
    const depth = this.rerankStage.depthFor(input.limit, rerank);
    const candidates = await this.ranker.rank(input.query, input.mode, filter, depth);
    const reranked = await this.rerankStage.apply(input.query, candidates, rerank);
    const { similarity_threshold: similarityFloor, min_score: scoreFloor } = input;
    const hits = reranked.hits
      .slice(0, input.limit)
      .filter((hit) => similarityFloor === undefined || (hit.similarity !== null && hit.similarity >= similarityFloor))
      .filter((hit) => scoreFloor === undefined || hit.score >= scoreFloor);
    const elapsedMs = performance.now() - started;
    this.metrics.searchDuration.observe({ mode: input.mode }, elapsedMs / 1000);
    return { hits, mode: input.mode, range, rerank: reranked.status, elapsedMs };
  }

  /** Memories carrying the tags (any or all), newest first. */
  searchByTag(input: SearchByTagInput): Promise<MemoryRecord[]> {
    const range = resolveTimeFilter(input, new Date(), this.config.search.timeZone);
    return this.memories.list(
      { namespace: currentNamespace(), tags: input.tags, tagMatch: input.tagMatch, ...range },
      0,
      input.limit,
    );
  }

  /** Memories from a time phrase's range: newest first, or ranked by `semantic_query` when given. */
  async searchByTime(input: SearchByTimeInput): Promise<{ hits: SearchHit[]; range: CreatedRange }> {
    const range = resolveTimeFilter({ time_expr: input.query }, new Date(), this.config.search.timeZone);
    if (input.semantic_query?.trim()) {
      const filter = { namespace: currentNamespace(), ...range };
      return { hits: await this.ranker.rank(input.semantic_query, 'hybrid', filter, input.limit), range };
    }
    const memories = await this.memories.list({ namespace: currentNamespace(), ...range }, 0, input.limit);
    const hits = memories.map((memory) => ({
      memory,
      score: 1,
      similarity: null,
      keywordScore: null,
      reason: 'created in the requested time range',
    }));
    return { hits, range };
  }
}
