import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { EmbeddingService } from '../embeddings/embedding.service';
import { currentNamespace } from '../auth/request-context';
import { EngramMetrics } from '../metrics/engram-metrics';
import { MemoryRecord } from '../storage/memory.record';
import { MemoryFilter } from '../storage/memory-filter.sql';
import { MemoryStore } from '../storage/memory.store';
import { KeywordHit, ScoredId, SearchStore } from '../storage/search.store';
import { keywordTerms } from './keyword-terms';
import { reciprocalRankFusion, weightedScoreFusion } from './rank-fusion';
import { SearchByTagInput, SearchByTimeInput, SearchInput, SearchMode } from './search.dto';
import { CreatedRange, resolveTimeFilter } from './time-filter';
import { traced } from '../tracing/spans';

export interface SearchHit {
  memory: MemoryRecord;
  /** The score the results are ordered by: cosine similarity, BM25, or the fused hybrid score. */
  score: number;
  /** Cosine similarity between query and memory, -1…1. */
  similarity: number | null;
  /** BM25 relevance when the memory matched query words. */
  keywordScore: number | null;
  reason: string;
}

export interface SearchOutcome {
  hits: SearchHit[];
  mode: SearchMode;
  range: CreatedRange;
  elapsedMs: number;
}

/**
 * Each list in hybrid mode contributes this many candidates per requested result before fusion, and at
 * least HYBRID_MIN_CANDIDATES: a deeper pool lets a memory ranked modestly by both lists surface.
 */
const HYBRID_CANDIDATES_PER_RESULT = 5;
const HYBRID_MIN_CANDIDATES = 100;

/** Semantic, keyword and hybrid retrieval with filters; the rules of ranking live here. */
@Injectable()
export class SearchService {
  constructor(
    private readonly search: SearchStore,
    private readonly memories: MemoryStore,
    private readonly embeddings: EmbeddingService,
    private readonly metrics: EngramMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async hybridSearch(input: SearchInput): Promise<SearchOutcome> {
    const started = performance.now();
    const range = resolveTimeFilter(input, new Date(), this.config.search.timeZone);
    const filter: MemoryFilter = {
      namespace: currentNamespace(),
      tags: input.tags,
      tagMatch: input.tag_match,
      memoryType: input.memory_type,
      ...range,
    };
    let hits = await this.rank(input.query, input.mode, filter, input.limit);
    if (input.similarity_threshold !== undefined) {
      const threshold = input.similarity_threshold;
      hits = hits.filter((hit) => hit.similarity !== null && hit.similarity >= threshold);
    }
    const elapsedMs = performance.now() - started;
    this.metrics.searchDuration.observe({ mode: input.mode }, elapsedMs / 1000);
    return { hits, mode: input.mode, range, elapsedMs };
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
      return { hits: await this.rank(input.semantic_query, 'hybrid', filter, input.limit), range };
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

  private async rank(query: string, mode: SearchMode, filter: MemoryFilter, limit: number): Promise<SearchHit[]> {
    const terms = mode === 'semantic' ? [] : keywordTerms(query);
    if (mode === 'keyword') {
      const keywordHits = await traced('search.keyword', { 'engram.search.limit': limit }, () =>
        this.search.keywordCandidates(terms, filter, limit),
      );
      return this.hydrate(
        filter.namespace,
        keywordHits.map((hit) => ({ id: hit.id, score: hit.bm25, keywordScore: hit.bm25, similarity: null })),
        'matched query words',
      );
    }
    const vector = await this.embeddings.embedOne(query);
    if (mode === 'semantic') {
      const nearest = await traced('search.vector', { 'engram.search.limit': limit }, () =>
        this.search.vectorCandidates(vector, filter, limit),
      );
      return this.hydrate(
        filter.namespace,
        nearest.map(({ id, distance }) => ({ id, score: 1 - distance, similarity: 1 - distance, keywordScore: null })),
        'close in meaning',
      );
    }
    const pool = Math.max(HYBRID_MIN_CANDIDATES, limit * HYBRID_CANDIDATES_PER_RESULT);
    const legAttributes = { 'engram.search.limit': pool };
    const nearest = await traced('search.vector', legAttributes, () =>
      this.search.vectorCandidates(vector, filter, pool),
    );
    const keywordHits = await traced('search.keyword', legAttributes, () =>
      this.search.keywordCandidates(terms, filter, pool),
    );
    const similarity = new Map(nearest.map((hit) => [hit.id, 1 - hit.distance]));
    const bm25 = new Map(keywordHits.map((hit) => [hit.id, hit.bm25]));
    const fused = await traced('search.fusion', { 'engram.search.fusion': this.config.search.fusionMethod }, () =>
      this.fuse(nearest, keywordHits, similarity, vector),
    );
    const top = [...fused.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit);
    await this.addSimilarities(
      similarity,
      top.map(([id]) => id),
      vector,
    );
    return this.hydrate(
      filter.namespace,
      top.map(([id, score]) => ({
        id,
        score,
        similarity: similarity.get(id) ?? null,
        keywordScore: bm25.get(id) ?? null,
      })),
      undefined,
    );
  }

  /** Hybrid fusion as configured; `similarity` gains the cosine of keyword-only candidates when scores are fused. */
  private async fuse(
    nearest: readonly ScoredId[],
    keywordHits: readonly KeywordHit[],
    similarity: Map<number, number>,
    vector: Float32Array,
  ): Promise<Map<number, number>> {
    const { fusionMethod, semanticWeight, keywordWeight, rrfK, rrfConsensusBoost } = this.config.search;
    if (fusionMethod === 'rrf') {
      const lists = [
        { ids: nearest.map((hit) => hit.id), weight: semanticWeight },
        { ids: keywordHits.map((hit) => hit.id), weight: keywordWeight },
      ];
      return reciprocalRankFusion(lists, rrfK, rrfConsensusBoost);
    }
    // Score fusion needs every candidate's cosine: a keyword-only match is not semantically "worst".
    const candidates = [...new Set([...nearest.map((hit) => hit.id), ...keywordHits.map((hit) => hit.id)])];
    await this.addSimilarities(similarity, candidates, vector);
    return weightedScoreFusion(candidates, [
      { scores: similarity, weight: semanticWeight },
      { scores: new Map(keywordHits.map((hit) => [hit.id, hit.bm25])), weight: keywordWeight },
    ]);
  }

  /** Fills in the exact cosine similarity of the ids that have none yet. */
  private async addSimilarities(
    similarity: Map<number, number>,
    ids: readonly number[],
    vector: Float32Array,
  ): Promise<void> {
    const missing = ids.filter((id) => !similarity.has(id));
    if (missing.length === 0) return;
    for (const { id, distance } of await this.search.distances(missing, vector)) similarity.set(id, 1 - distance);
  }

  /** Loads the memories of ranked ids, keeping the ranking; ids outside the namespace are dropped. */
  private async hydrate(
    namespace: string,
    ranked: { id: number; score: number; similarity: number | null; keywordScore: number | null }[],
    reason: string | undefined,
  ): Promise<SearchHit[]> {
    const found = await this.memories.findLiveByIds(
      namespace,
      ranked.map((hit) => hit.id),
    );
    const byId = new Map(found.map((memory) => [memory.id, memory]));
    return ranked
      .filter((hit) => byId.has(hit.id))
      .map((hit) => ({
        memory: byId.get(hit.id)!,
        score: hit.score,
        similarity: hit.similarity,
        keywordScore: hit.keywordScore,
        reason: reason ?? hybridReason(hit.similarity, hit.keywordScore),
      }));
  }
}

function hybridReason(similarity: number | null, keywordScore: number | null): string {
  if (keywordScore !== null && similarity !== null) return 'close in meaning and matched query words';
  return keywordScore !== null ? 'matched query words' : 'close in meaning';
}
