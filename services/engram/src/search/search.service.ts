import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { EmbeddingService } from '../embeddings/embedding.service';
import { currentNamespace } from '../auth/request-context';
import { EngramMetrics } from '../metrics/engram-metrics';
import { MemoryRecord } from '../storage/memory.record';
import { MemoryRepository } from '../storage/memory.repository';
import { MemoryFilter } from '../storage/memory-filter.sql';
import { KeywordHit, SearchRepository } from '../storage/search.repository';
import { ScoredId } from '../storage/vector-index';
import { HybridRelevance } from './hybrid-relevance';
import { keywordTerms } from './keyword-terms';
import { reciprocalRankFusion, weightedScoreFusion } from './rank-fusion';
import { logit, sigmoid, Signals } from './relevance-model';
import { queryFacts, stemSet, termCoverage } from './relevance-signals';
import { SearchByTagInput, SearchByTimeInput, SearchInput, SearchMode } from './search.dto';
import { CreatedRange, resolveTimeFilter } from './time-filter';

export interface SearchHit {
  memory: MemoryRecord;
  /** The score the results are ordered by: cosine similarity, BM25, or the fused hybrid score. */
  score: number;
  /** Cosine similarity between query and memory, -1…1. */
  similarity: number | null;
  /** BM25 relevance when the memory matched query words. */
  keywordScore: number | null;
  /** What the relevance model saw (calibrated scoring only): per-leg figures and the other signals. */
  signals?: Signals;
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
/**
 * The second pass looks at the neighbours of this many first-pass leaders per requested result (at least
 * CONTEXT_MIN_LEADERS): enough to bring in the reply to a top-ranked question, bounded for cost.
 */
const CONTEXT_LEADERS_PER_RESULT = 3;
const CONTEXT_MIN_LEADERS = 30;
/** Memories stored this close in time to each other and next to each other count as one context. */
const CONTEXT_WINDOW_MS = 30 * 60 * 1000;

/** Semantic, keyword and hybrid retrieval with filters; the rules of ranking live here. */
@Injectable()
export class SearchService {
  constructor(
    private readonly search: SearchRepository,
    private readonly memories: MemoryRepository,
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
  searchByTag(input: SearchByTagInput): MemoryRecord[] {
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
    const memories = this.memories.list({ namespace: currentNamespace(), ...range }, 0, input.limit);
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
    if (mode === 'keyword') return this.keywordRank(query, terms, filter, limit);
    const vector = await this.embeddings.embedOne(query);
    if (mode === 'semantic') return this.semanticRank(vector, filter, limit);
    if (this.config.search.fusionMethod === 'calibrated') return this.calibratedHybrid(query, terms, vector, filter, limit);
    const pool = Math.max(HYBRID_MIN_CANDIDATES, limit * HYBRID_CANDIDATES_PER_RESULT);
    const nearest = this.search.vectorCandidates(vector, filter, pool);
    const keywordHits = this.search.keywordCandidates(terms, filter, pool);
    const similarity = new Map(nearest.map((hit) => [hit.id, 1 - hit.distance]));
    const bm25 = new Map(keywordHits.map((hit) => [hit.id, hit.bm25]));
    const fused = this.fuse(nearest, keywordHits, similarity, vector);
    const top = [...fused.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit);
    this.addSimilarities(
      similarity,
      top.map(([id]) => id),
      vector,
    );
    return this.hydrate(
      top.map(([id, score]) => ({
        id,
        score,
        similarity: similarity.get(id) ?? null,
        keywordScore: bm25.get(id) ?? null,
      })),
      undefined,
    );
  }

  private keywordRank(query: string, terms: string[], filter: MemoryFilter, limit: number): SearchHit[] {
    const keywordHits = this.search.keywordCandidates(terms, filter, limit);
    if (this.config.search.fusionMethod !== 'calibrated') {
      return this.hydrate(
        keywordHits.map((hit) => ({ id: hit.id, score: hit.bm25, keywordScore: hit.bm25, similarity: null })),
        'matched query words',
      );
    }
    const best = Math.max(0, ...keywordHits.map((hit) => hit.bm25));
    const facts = queryFacts(query);
    const records = new Map(this.memories.findByIds(keywordHits.map((hit) => hit.id)).map((memory) => [memory.id, memory]));
    return keywordHits
      .filter((hit) => records.has(hit.id))
      .map((hit) => {
        const signals: Signals = {
          keyword_relative: best > 0 ? hit.bm25 / best : 0,
          keyword_strength: Math.log1p(Math.max(0, hit.bm25)),
          term_coverage: termCoverage(facts, stemSet(records.get(hit.id)!.content)),
        };
        const score = sigmoid(logit(this.config.search.relevanceWeights.keyword, signals));
        return { memory: records.get(hit.id)!, score, similarity: null, keywordScore: hit.bm25, signals, reason: 'matched query words' };
      })
      .sort((a, b) => b.score - a.score);
  }

  private semanticRank(vector: Float32Array, filter: MemoryFilter, limit: number): SearchHit[] {
    const nearest = this.search.vectorCandidates(vector, filter, limit);
    const similarities = nearest.map(({ distance }) => 1 - distance);
    const [low, high] = [Math.min(...similarities), Math.max(...similarities)];
    const calibrated = this.config.search.fusionMethod === 'calibrated';
    return this.hydrate(
      nearest.map(({ id }, index) => {
        const similarity = similarities[index];
        if (!calibrated) return { id, score: similarity, similarity, keywordScore: null };
        const signals: Signals = {
          semantic: similarity,
          semantic_relative: high > low ? (similarity - low) / (high - low) : 1,
        };
        const score = sigmoid(logit(this.config.search.relevanceWeights.semantic, signals));
        return { id, score, similarity, keywordScore: null, signals };
      }),
      'close in meaning',
    );
  }

  /**
   * Hybrid search scored by the relevance model: both candidate lists pooled, every candidate's signals,
   * a first pass, then the neighbours of the first-pass leaders joined and the second pass over all of
   * them. The score is the model's probability of relevance.
   */
  private calibratedHybrid(
    query: string,
    terms: string[],
    vector: Float32Array,
    filter: MemoryFilter,
    limit: number,
  ): SearchHit[] {
    const poolSize = Math.max(HYBRID_MIN_CANDIDATES, limit * HYBRID_CANDIDATES_PER_RESULT);
    const similarity = new Map(this.search.vectorCandidates(vector, filter, poolSize).map((hit) => [hit.id, 1 - hit.distance]));
    const bm25 = new Map(this.search.keywordCandidates(terms, filter, poolSize).map((hit) => [hit.id, hit.bm25]));
    const poolIds = [...new Set([...similarity.keys(), ...bm25.keys()])];
    if (poolIds.length === 0) return [];
    this.addSimilarities(similarity, poolIds, vector);
    const records = new Map(this.memories.findByIds(poolIds).map((memory) => [memory.id, memory]));
    const candidateOf = (memory: MemoryRecord) => ({
      id: memory.id,
      similarity: similarity.get(memory.id)!,
      bm25: bm25.get(memory.id) ?? null,
      content: memory.content,
      createdAtMs: memory.createdAt,
    });
    const { relevanceWeights, timeZone } = this.config.search;
    const relevance = new HybridRelevance([...records.values()].map(candidateOf), queryFacts(query), relevanceWeights, timeZone);

    const leaders = relevance.rankedByFirstPass().slice(0, Math.max(CONTEXT_MIN_LEADERS, limit * CONTEXT_LEADERS_PER_RESULT));
    const adjacent = this.search.adjacent(leaders, filter);
    const joined = [...new Set([...adjacent.values()].flat())].filter((id) => !records.has(id));
    this.addSimilarities(similarity, joined, vector);
    for (const memory of this.memories.findByIds(joined)) {
      records.set(memory.id, memory);
      relevance.add(candidateOf(memory));
    }
    const neighbours = contextOf(adjacent, records);

    const scoredIds = [...new Set([...leaders, ...joined])].filter((id) => records.has(id));
    return relevance
      .score(scoredIds, neighbours)
      .sort((x, y) => y.relevance - x.relevance)
      .slice(0, limit)
      .map(({ id, signals, relevance: score }) => ({
        memory: records.get(id)!,
        score,
        similarity: similarity.get(id) ?? null,
        keywordScore: bm25.get(id) ?? null,
        signals,
        reason: hybridReason(similarity.get(id) ?? null, bm25.get(id) ?? null),
      }));
  }

  /** Hybrid fusion as configured; `similarity` gains the cosine of keyword-only candidates when scores are fused. */
  private fuse(
    nearest: readonly ScoredId[],
    keywordHits: readonly KeywordHit[],
    similarity: Map<number, number>,
    vector: Float32Array,
  ): Map<number, number> {
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
    this.addSimilarities(similarity, candidates, vector);
    return weightedScoreFusion(candidates, [
      { scores: similarity, weight: semanticWeight },
      { scores: new Map(keywordHits.map((hit) => [hit.id, hit.bm25])), weight: keywordWeight },
    ]);
  }

  /** Fills in the exact cosine similarity of the ids that have none yet. */
  private addSimilarities(similarity: Map<number, number>, ids: readonly number[], vector: Float32Array): void {
    const missing = ids.filter((id) => !similarity.has(id));
    if (missing.length === 0) return;
    for (const { id, distance } of this.search.distances(missing, vector)) similarity.set(id, 1 - distance);
  }

  /** Loads the memories of ranked ids, keeping the ranking. */
  private hydrate(
    ranked: { id: number; score: number; similarity: number | null; keywordScore: number | null; signals?: Signals }[],
    reason: string | undefined,
  ): SearchHit[] {
    const byId = new Map(this.memories.findByIds(ranked.map((hit) => hit.id)).map((memory) => [memory.id, memory]));
    return ranked
      .filter((hit) => byId.has(hit.id))
      .map((hit) => ({
        memory: byId.get(hit.id)!,
        score: hit.score,
        similarity: hit.similarity,
        keywordScore: hit.keywordScore,
        signals: hit.signals,
        reason: reason ?? hybridReason(hit.similarity, hit.keywordScore),
      }));
  }
}

/**
 * Who counts as whose context: the memories stored right beside each other and within CONTEXT_WINDOW_MS
 * of each other, both ways (the reply lends to its question and the question to its reply).
 */
function contextOf(
  adjacent: ReadonlyMap<number, readonly number[]>,
  records: ReadonlyMap<number, MemoryRecord>,
): Map<number, number[]> {
  const context = new Map<number, number[]>();
  const link = (from: number, to: number) => context.set(from, [...(context.get(from) ?? []), to]);
  for (const [id, around] of adjacent) {
    for (const other of around) {
      const [a, b] = [records.get(id), records.get(other)];
      if (!a || !b || Math.abs(a.createdAt - b.createdAt) > CONTEXT_WINDOW_MS) continue;
      link(id, other);
      link(other, id);
    }
  }
  return context;
}

function hybridReason(similarity: number | null, keywordScore: number | null): string {
  if (keywordScore !== null && similarity !== null) return 'close in meaning and matched query words';
  return keywordScore !== null ? 'matched query words' : 'close in meaning';
}
