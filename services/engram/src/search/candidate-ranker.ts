import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { EmbeddingService } from '../embeddings/embedding.service';
import { MemoryRecord } from '../storage/memory.record';
import { MemoryFilter } from '../storage/memory-filter.sql';
import { MemoryStore } from '../storage/memory.store';
import { KeywordHit, ScoredId, SearchStore } from '../storage/search.store';
import { Candidate, HybridRelevance } from './hybrid-relevance';
import { CandidateText, CandidateTexts } from './candidate-texts';
import { keywordTerms } from './keyword-terms';
import { reciprocalRankFusion, weightedScoreFusion } from './rank-fusion';
import { logit, sigmoid, Signals } from '../config/relevance-model';
import { QueryFacts, queryFacts, stemSet, termCoverage } from './relevance-signals';
import { SearchHit } from './search-hit';
import { SearchMode } from './search.dto';
import { traced } from '../tracing/spans';

/**
 * The keyword list in hybrid mode contributes this many candidates per requested result before fusion, and
 * at least HYBRID_MIN_CANDIDATES: a deeper pool lets a memory ranked modestly by both lists surface.
 */
const HYBRID_CANDIDATES_PER_RESULT = 5;
const HYBRID_MIN_CANDIDATES = 100;
/**
 * The vector list contributes half as many. Measured on LoCoMo dev (tune and check splits), 50 vector
 * candidates at limit 10 rank exactly as 100 did (R@5 equal on both, R@10 one question either way), while
 * each vector candidate costs an exact re-score, a text read and a relevance pass, and under a filter the
 * index's search widens with the number of admitted candidates wanted.
 */
const HYBRID_VECTOR_SHARE = 0.5;
/**
 * The second pass looks at the neighbours of this many first-pass leaders per requested result (at least
 * CONTEXT_MIN_LEADERS): enough to bring in the reply to a top-ranked question, bounded for cost.
 */
const CONTEXT_LEADERS_PER_RESULT = 3;
const CONTEXT_MIN_LEADERS = 30;
/** Memories stored next to each other and this close in time count as each other's context. */
export const CONTEXT_WINDOW_MS = 30 * 60 * 1000;

interface CandidatePool {
  similarity: Map<number, number>;
  bm25: Map<number, number>;
  nearest: ScoredId[];
  keywordHits: KeywordHit[];
}

interface RankedId {
  id: number;
  score: number;
  similarity: number | null;
  keywordScore: number | null;
  signals?: Signals;
}

/** The first stage of search: candidates from the vector and keyword indexes, scored and ordered. */
@Injectable()
export class CandidateRanker {
  constructor(
    private readonly search: SearchStore,
    private readonly memories: MemoryStore,
    private readonly embeddings: EmbeddingService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async rank(query: string, mode: SearchMode, filter: MemoryFilter, limit: number): Promise<SearchHit[]> {
    if (mode === 'keyword') return this.keywordRank(query, filter, limit);
    if (mode === 'semantic')
      return this.semanticRank(await this.embeddings.embedQuery(query, filter.namespace), filter, limit);
    if (!this.calibrated) return this.fusedHybrid(filter, limit, (await this.pool(query, filter, limit)).pool);
    const facts = queryFacts(query, { now: new Date(), timeZone: this.config.search.timeZone });
    const texts = new CandidateTexts(this.memories, filter.namespace, facts);
    const { pool, vector } = await this.pool(query, filter, limit, (hits) => texts.load(hits.map((hit) => hit.id)));
    return traced('search.fusion', { 'engram.search.fusion': 'calibrated' }, () =>
      this.calibratedHybrid(facts, texts, vector, filter, limit, pool),
    );
  }

  private get calibrated(): boolean {
    return this.config.search.fusionMethod === 'calibrated';
  }

  private async keywordRank(query: string, filter: MemoryFilter, limit: number): Promise<SearchHit[]> {
    const keywordHits = await traced('search.keyword', { 'engram.search.limit': limit }, () =>
      this.search.keywordCandidates(keywordTerms(query), filter, limit),
    );
    if (!this.calibrated) {
      const ranked = keywordHits.map((hit) => ({
        id: hit.id,
        score: hit.bm25,
        keywordScore: hit.bm25,
        similarity: null,
      }));
      return this.hydrate(filter.namespace, ranked, 'matched query words');
    }
    const best = Math.max(0, ...keywordHits.map((hit) => hit.bm25));
    const facts = queryFacts(query);
    const found = await this.memories.findLiveTexts(
      filter.namespace,
      keywordHits.map((hit) => hit.id),
    );
    const contents = new Map(found.map((m) => [m.id, m.content]));
    const ranked = keywordHits.map((hit) => {
      const signals: Signals = {
        keyword_relative: best > 0 ? hit.bm25 / best : 0,
        keyword_strength: Math.log1p(Math.max(0, hit.bm25)),
        term_coverage: termCoverage(facts, stemSet(contents.get(hit.id) ?? '')),
      };
      const score = sigmoid(logit(this.config.search.relevanceWeights.keyword, signals));
      return { id: hit.id, score, similarity: null, keywordScore: hit.bm25, signals };
    });
    return this.hydrate(
      filter.namespace,
      ranked.sort((a, b) => b.score - a.score),
      'matched query words',
    );
  }

  private async semanticRank(vector: Float32Array, filter: MemoryFilter, limit: number): Promise<SearchHit[]> {
    const nearest = await traced('search.vector', { 'engram.search.limit': limit }, () =>
      this.search.vectorCandidates(vector, filter, limit),
    );
    const similarities = nearest.map(({ id, distance }) => ({ id, similarity: 1 - distance }));
    const low = Math.min(...similarities.map((hit) => hit.similarity));
    const high = Math.max(...similarities.map((hit) => hit.similarity));
    const ranked = similarities.map(({ id, similarity }) => {
      if (!this.calibrated) return { id, score: similarity, similarity, keywordScore: null };
      const signals: Signals = {
        semantic: similarity,
        semantic_relative: high > low ? (similarity - low) / (high - low) : 1,
      };
      return {
        id,
        score: sigmoid(logit(this.config.search.relevanceWeights.semantic, signals)),
        similarity,
        keywordScore: null,
        signals,
      };
    });
    return this.hydrate(filter.namespace, ranked, 'close in meaning');
  }

  /**
   * Hybrid search scored by the relevance model: both candidate lists pooled, a first pass over each
   * candidate alone, then the memories stored beside the first-pass leaders joined and a second pass over
   * all of them, in which each borrows from its neighbours. The score is the probability of relevance.
   */
  private async calibratedHybrid(
    facts: QueryFacts,
    texts: CandidateTexts,
    vector: Float32Array,
    filter: MemoryFilter,
    limit: number,
    { similarity, bm25 }: CandidatePool,
  ): Promise<SearchHit[]> {
    const poolIds = [...similarity.keys()];
    if (poolIds.length === 0) return [];
    // Candidates are read as text and time only (hundreds a query); whole records for the results alone.
    await texts.load(poolIds);
    const candidateOf = (text: CandidateText): Candidate => ({
      id: text.id,
      similarity: similarity.get(text.id)!,
      bm25: bm25.get(text.id) ?? null,
      content: text.content,
      createdAtMs: text.createdAt,
      features: text.features,
    });
    const pooled = poolIds.map((id) => texts.get(id)).filter((text) => text !== undefined);
    const { relevanceWeights, timeZone } = this.config.search;
    const relevance = new HybridRelevance(pooled.map(candidateOf), facts, relevanceWeights, timeZone);

    const leaders = relevance.rankedByFirstPass(Math.max(CONTEXT_MIN_LEADERS, limit * CONTEXT_LEADERS_PER_RESULT));
    const adjacent = await this.search.adjacent(leaders, filter);
    const joined = [...new Set([...adjacent.values()].flat())].filter((id) => !texts.has(id));
    await this.addSimilarities(similarity, joined, vector);
    for (const text of await texts.load(joined)) relevance.add(candidateOf(text));
    const best = relevance
      .score(
        [...leaders, ...joined].filter((id) => texts.has(id)),
        contextOf(adjacent, texts),
      )
      .sort((a, b) => b.relevance - a.relevance)
      .slice(0, limit);
    const records = new Map(
      (
        await this.memories.findLiveByIds(
          filter.namespace,
          best.map(({ id }) => id),
        )
      ).map((memory) => [memory.id, memory]),
    );
    return best
      .filter(({ id }) => records.has(id)) // deleted since its text was read
      .map(({ id, signals, relevance: score }) => ({
        memory: records.get(id)!,
        score,
        similarity: similarity.get(id) ?? null,
        keywordScore: bm25.get(id) ?? null,
        signals,
        reason: hybridReason(similarity.get(id) ?? null, bm25.get(id) ?? null),
      }));
  }

  /**
   * Both candidate lists, every candidate with its exact cosine and (when it matched words) BM25. The
   * work overlaps where it can. When the store searches vectors aside (the index's thread on SQLite, a
   * query on PostgreSQL), the query is embedded first and the keyword leg runs while the index searches:
   * the vector leg is then the longer one, and starts at the earliest. When the vector search is work on
   * this thread (a small store's exact scan, the Hamming path while the index builds), the keyword leg
   * runs while the query is embedded instead. Either way the keyword hits are re-scored against the vector
   * while the vector leg may still be searching, and `whileIndexSearches` (reading the keyword hits'
   * texts) runs then too.
   */
  private async pool(
    query: string,
    filter: MemoryFilter,
    limit: number,
    whileIndexSearches?: (keywordHits: KeywordHit[]) => Promise<unknown>,
  ): Promise<{ pool: CandidatePool; vector: Float32Array }> {
    const keywordSize = Math.max(HYBRID_MIN_CANDIDATES, limit * HYBRID_CANDIDATES_PER_RESULT);
    const vectorSize = Math.ceil(keywordSize * HYBRID_VECTOR_SHARE);
    const embedding = observed(this.embeddings.embedQuery(query, filter.namespace));
    const keywordLeg = () =>
      traced('search.keyword', { 'engram.search.limit': keywordSize }, () =>
        this.search.keywordCandidates(keywordTerms(query), filter, keywordSize),
      );
    const vectorLeg = (vector: Float32Array) =>
      observed(
        traced('search.vector', { 'engram.search.limit': vectorSize }, () =>
          this.search.vectorCandidates(vector, filter, vectorSize),
        ),
      );
    let keywordHits: KeywordHit[];
    let vector: Float32Array;
    let nearestSearch: Promise<ScoredId[]>;
    if (this.search.vectorSearchRunsAside()) {
      vector = await embedding;
      nearestSearch = vectorLeg(vector);
      keywordHits = await keywordLeg();
    } else {
      keywordHits = await keywordLeg();
      vector = await embedding;
      nearestSearch = vectorLeg(vector);
    }
    const keywordSimilarity = new Map<number, number>();
    await this.addSimilarities(
      keywordSimilarity,
      keywordHits.map((hit) => hit.id),
      vector,
    );
    await whileIndexSearches?.(keywordHits);
    const nearest = await nearestSearch;
    const similarity = new Map(nearest.map((hit) => [hit.id, 1 - hit.distance]));
    for (const [id, value] of keywordSimilarity) if (!similarity.has(id)) similarity.set(id, value);
    const pool = { similarity, bm25: new Map(keywordHits.map((hit) => [hit.id, hit.bm25])), nearest, keywordHits };
    return { pool, vector };
  }

  /** `weighted_average` or `rrf`: the two lists fused as configured (MCP_HYBRID_*). */
  private async fusedHybrid(
    filter: MemoryFilter,
    limit: number,
    { similarity, bm25, nearest, keywordHits }: CandidatePool,
  ): Promise<SearchHit[]> {
    const fused = await traced('search.fusion', { 'engram.search.fusion': this.config.search.fusionMethod }, async () =>
      this.fuse(nearest, keywordHits, similarity),
    );
    const top = [...fused.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit);
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

  private fuse(
    nearest: readonly ScoredId[],
    keywordHits: readonly KeywordHit[],
    similarity: ReadonlyMap<number, number>,
  ): Map<number, number> {
    const { fusionMethod, semanticWeight, keywordWeight, rrfK, rrfConsensusBoost } = this.config.search;
    if (fusionMethod === 'rrf') {
      const lists = [
        { ids: nearest.map((hit) => hit.id), weight: semanticWeight },
        { ids: keywordHits.map((hit) => hit.id), weight: keywordWeight },
      ];
      return reciprocalRankFusion(lists, rrfK, rrfConsensusBoost);
    }
    const candidates = [...similarity.keys()];
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
  private async hydrate(namespace: string, ranked: RankedId[], reason: string | undefined): Promise<SearchHit[]> {
    const ids = ranked.map((hit) => hit.id);
    const found = await this.memories.findLiveByIds(namespace, ids);
    const byId = new Map(found.map((memory) => [memory.id, memory]));
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
 * Who counts as whose context: memories stored right beside each other and within CONTEXT_WINDOW_MS of
 * each other, both ways (the reply lends to its question and the question to its reply).
 */
export function contextOf(
  adjacent: ReadonlyMap<number, readonly number[]>,
  records: { get(id: number): Pick<MemoryRecord, 'createdAt'> | undefined },
): Map<number, number[]> {
  const context = new Map<number, Set<number>>();
  const link = (from: number, to: number) => context.set(from, (context.get(from) ?? new Set()).add(to));
  for (const [id, around] of adjacent) {
    for (const other of around) {
      const [a, b] = [records.get(id), records.get(other)];
      if (!a || !b || Math.abs(a.createdAt - b.createdAt) > CONTEXT_WINDOW_MS) continue;
      link(id, other);
      link(other, id);
    }
  }
  return new Map([...context].map(([id, others]) => [id, [...others]]));
}

/**
 * The promise, with its failure marked as seen: it is awaited later, after other awaits that may throw
 * first, and an unobserved rejection in the meantime would end the process.
 */
function observed<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

function hybridReason(similarity: number | null, keywordScore: number | null): string {
  if (keywordScore !== null && similarity !== null) return 'close in meaning and matched query words';
  return keywordScore !== null ? 'matched query words' : 'close in meaning';
}
