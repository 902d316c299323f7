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
import { MAX_PAGE_SIZE } from '../memories/memory.dto';
import { qualityWeightOf } from '../quality/quality.dto';
import { QualityService } from '../quality/quality.service';
import { UsageRecorder } from '../quality/usage-recorder';
import { SearchByTagInput, SearchByTimeInput, SearchInput, SearchMode } from './search.dto';
import { CreatedRange, resolveTimeFilter } from '../time/time-filter';

/** A search as services and tools ask for it: the REST body's fields, reranking on unless said otherwise. */
export type SearchQuery = Omit<SearchInput, 'rerank'> & { rerank?: boolean };

export interface SearchOutcome {
  hits: SearchHit[];
  mode: SearchMode;
  range: CreatedRange;
  rerank: RerankStatus;
  /** Results within the limit that `min_score` or `similarity_threshold` left out: a floor's effect, made visible. */
  belowFloor: number;
  elapsedMs: number;
}

/** Quality re-ranking draws from this many times the requested results. */
const QUALITY_POOL_FACTOR = 3;

/** Semantic, keyword and hybrid retrieval with filters; the rules of ranking live here. */
@Injectable()
export class SearchService {
  constructor(
    private readonly ranker: CandidateRanker,
    private readonly rerankStage: RerankStage,
    private readonly memories: MemoryStore,
    private readonly metrics: EngramMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly quality: QualityService,
    private readonly usage: UsageRecorder,
  ) {}

  async hybridSearch(input: SearchQuery): Promise<SearchOutcome> {
    const started = performance.now();
    const range = resolveTimeFilter(input, new Date(), this.config.search.timeZone);
    const filter: MemoryFilter = {
      namespace: currentNamespace(),
      tags: input.tags,
      tagMatch: input.tag_match,
      memoryType: input.memory_type,
      includeSuperseded: input.include_superseded,
      ...range,
    };
    const rerank = input.rerank !== false;
    const qualityWeight = qualityWeightOf(input);
    const qualityPool = qualityWeight > 0 ? Math.min(input.limit, MAX_PAGE_SIZE) * QUALITY_POOL_FACTOR : 0;
    const depth = Math.max(this.rerankStage.depthFor(input.limit, rerank), qualityPool);
    const candidates = await this.ranker.rank(input.query, input.mode, filter, depth);
    const reranked = await this.rerankStage.apply(input.query, candidates, rerank);
    const { similarity_threshold: similarityFloor, min_score: scoreFloor } = input;
    const admitted = (hit: SearchHit) =>
      (similarityFloor === undefined || (hit.similarity !== null && hit.similarity >= similarityFloor)) &&
      (scoreFloor === undefined || hit.score >= scoreFloor);
    // The floors judge relevance, so with quality in the ranking they apply before the blend.
    const hits =
      qualityWeight > 0
        ? (await this.blendQuality(reranked.hits.filter(admitted), qualityWeight)).slice(0, input.limit)
        : reranked.hits.slice(0, input.limit).filter(admitted);
    const belowFloor = Math.min(input.limit, reranked.hits.length) - hits.length;
    this.usage.retrieved(hits.map((hit) => hit.memory.id));
    const elapsedMs = performance.now() - started;
    this.metrics.searchDuration.observe({ mode: input.mode }, elapsedMs / 1000);
    return { hits, mode: input.mode, range, rerank: reranked.status, belowFloor, elapsedMs };
  }

  /** Memories carrying the tags (any or all), newest first. */
  async searchByTag(input: SearchByTagInput): Promise<MemoryRecord[]> {
    const range = resolveTimeFilter(input, new Date(), this.config.search.timeZone);
    const memories = await this.memories.list(
      {
        namespace: currentNamespace(),
        tags: input.tags,
        tagMatch: input.tagMatch,
        includeSuperseded: input.include_superseded,
        ...range,
      },
      0,
      input.limit,
    );
    this.usage.retrieved(memories.map((memory) => memory.id));
    return memories;
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

  /**
   * Re-ranks by (1 - weight) × relevance + weight × quality, relevance being the hit's score min-max
   * normalised over the candidates (so every mode's scores blend alike).
   */
  private async blendQuality(hits: SearchHit[], weight: number): Promise<SearchHit[]> {
    if (hits.length === 0) return hits;
    const quality = await this.quality.scoresOf(hits.map((hit) => hit.memory.id));
    const scores = hits.map((hit) => hit.score);
    const low = Math.min(...scores);
    const span = Math.max(...scores) - low;
    return hits
      .map((hit) => {
        const relevance = span === 0 ? 1 : (hit.score - low) / span;
        const score = quality.get(hit.memory.id)!;
        return { ...hit, score: (1 - weight) * relevance + weight * score, quality: score };
      })
      .sort((a, b) => b.score - a.score);
  }
}
