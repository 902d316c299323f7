/**
 * Calibrated hybrid ranking: every candidate's signals, a first pass of the relevance model on each
 * candidate alone, then a second pass that lets a memory borrow relevance from the memories stored
 * beside it (the reply after a question, the next chunk of a document). Pure: the service gathers the
 * candidates and their neighbours, this module scores them.
 */
import { CONTEXT_SIGNAL, logit, RelevanceWeights, sigmoid, Signals } from '../config/relevance-model';
import {
  brevity,
  eventTime,
  inPeriod,
  mentionsTime,
  nameCoverage,
  opensWithName,
  QueryFacts,
  stemSet,
  termCoverage,
} from './relevance-signals';

export interface Candidate {
  id: number;
  /** Cosine similarity of query and memory. */
  similarity: number;
  /** BM25 when the memory matched query words, else null. */
  bm25: number | null;
  content: string;
  createdAtMs: number;
}

export interface ScoredCandidate {
  id: number;
  signals: Signals;
  /** Probability of relevance after both passes. */
  relevance: number;
}

/** The candidate pool's extremes, against which relative signals are measured. */
interface PoolRange {
  minSimilarity: number;
  maxSimilarity: number;
  maxBm25: number;
}

export class HybridRelevance {
  private readonly range: PoolRange;
  /**
   * Some candidate opens with a name the query mentions. Only then does not opening with one say anything:
   * a name no memory opens with (a place, a product) would otherwise lower every candidate alike.
   */
  private readonly subjectInPool: boolean;
  private readonly firstPass = new Map<number, { signals: Signals; logit: number }>();

  constructor(
    pool: readonly Candidate[],
    private readonly facts: QueryFacts,
    private readonly weights: RelevanceWeights,
    private readonly timeZone: string,
  ) {
    const similarities = pool.map((candidate) => candidate.similarity);
    this.range = {
      minSimilarity: Math.min(...similarities),
      maxSimilarity: Math.max(...similarities),
      maxBm25: Math.max(0, ...pool.map((candidate) => candidate.bm25 ?? 0)),
    };
    this.subjectInPool = pool.some((candidate) => opensWithName(facts, candidate.content));
    for (const candidate of pool) this.add(candidate);
  }

  /** Scores a candidate that joined after the pool (a neighbour), against the pool's range. */
  add(candidate: Candidate): void {
    if (this.firstPass.has(candidate.id)) return;
    const signals = this.signalsOf(candidate);
    this.firstPass.set(candidate.id, { signals, logit: logit(this.weights.hybrid, signals) });
  }

  /** Candidate ids, best first by the first pass. */
  rankedByFirstPass(): number[] {
    return [...this.firstPass.entries()].sort((a, b) => b[1].logit - a[1].logit).map(([id]) => id);
  }

  /**
   * The final relevance of the given ids: the second pass with each id's best neighbour as context, its
   * first-pass relevance over the best first-pass relevance of all candidates (1: the neighbour is the
   * strongest match there is). `neighbours` maps an id to the ids stored beside it.
   */
  score(ids: readonly number[], neighbours: ReadonlyMap<number, readonly number[]>): ScoredCandidate[] {
    const best = Math.max(...[...this.firstPass.values()].map((scored) => sigmoid(scored.logit)));
    return ids.map((id) => {
      const own = this.firstPass.get(id)!;
      const context = Math.max(
        0,
        ...(neighbours.get(id) ?? []).map((other) => {
          const scored = this.firstPass.get(other);
          return scored ? sigmoid(scored.logit) / best : 0;
        }),
      );
      const signals = { ...own.signals, [CONTEXT_SIGNAL]: context };
      return { id, signals, relevance: sigmoid(logit(this.weights.hybrid_context, signals)) };
    });
  }

  private signalsOf(candidate: Candidate): Signals {
    const { minSimilarity, maxSimilarity, maxBm25 } = this.range;
    const spread = maxSimilarity - minSimilarity;
    const words = stemSet(candidate.content);
    const bm25 = candidate.bm25 ?? 0;
    const { asksWhen, period } = this.facts;
    const event = asksWhen || period ? eventTime(candidate.content, candidate.createdAtMs, this.timeZone) : undefined;
    return {
      semantic: candidate.similarity,
      semantic_relative: spread > 0 ? clamp01((candidate.similarity - minSimilarity) / spread) : 1,
      keyword_relative: maxBm25 > 0 ? clamp01(bm25 / maxBm25) : 0,
      keyword_strength: Math.log1p(Math.max(0, bm25)),
      term_coverage: termCoverage(this.facts, words),
      name_coverage: nameCoverage(this.facts, words),
      off_subject: this.subjectInPool && !opensWithName(this.facts, candidate.content) ? 1 : 0,
      brevity: brevity(candidate.content.split(/\s+/).filter(Boolean).length),
      asks: /\?\s*$/.test(candidate.content) ? 1 : 0,
      states_time: asksWhen && (event !== undefined || mentionsTime(candidate.content)) ? 1 : 0,
      in_period: inPeriod(period, event, candidate.createdAtMs),
    };
  }
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}
