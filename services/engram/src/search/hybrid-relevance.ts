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
  /** Its text's features for this query, when already worked out (textFeatures). */
  features?: TextFeatures;
}

/**
 * What a candidate's own text says to the query, whatever else is in the pool: worked out once a text,
 * and possibly before the pool is complete (the keyword hits', while the index still searches).
 */
export interface TextFeatures {
  termCoverage: number;
  nameCoverage: number;
  opensWithName: boolean;
  wordCount: number;
  asks: boolean;
  /** The query asks when and the text names a time, one the grammar need not resolve. */
  mentionsTime: boolean;
}

export function textFeatures(content: string, facts: QueryFacts): TextFeatures {
  const words = stemSet(content);
  return {
    termCoverage: termCoverage(facts, words),
    nameCoverage: nameCoverage(facts, words),
    opensWithName: opensWithName(facts, content),
    wordCount: content.split(/\s+/).filter(Boolean).length,
    asks: /\?\s*$/.test(content),
    mentionsTime: facts.asksWhen && mentionsTime(content),
  };
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

/** The signals that need a candidate's time phrase resolved: the costly part (tens of µs a text). */
type TimeSignal = 'states_time' | 'in_period';

/**
 * A candidate's first pass. Its time signals are worked out only when its exact relevance is needed:
 * until then `logit` leaves them out and `headroom` is the most they could add, so a candidate that
 * cannot reach the leaders is never parsed for a date.
 */
interface FirstPass {
  candidate: Candidate & { features: TextFeatures };
  /** Insertion order: ties in relevance keep it. */
  order: number;
  signals: Signals;
  logit: number;
  /** The time signals not worked out yet. */
  pending: TimeSignal[];
  headroom: number;
}

export class HybridRelevance {
  private readonly range: PoolRange;
  /**
   * Some candidate opens with a name the query mentions. Only then does not opening with one say anything:
   * a name no memory opens with (a place, a product) would otherwise lower every candidate alike.
   */
  private readonly subjectInPool: boolean;
  private readonly firstPass = new Map<number, FirstPass>();

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
    const featured = pool.map((candidate) => this.withFeatures(candidate));
    this.subjectInPool = featured.some((candidate) => candidate.features.opensWithName);
    for (const candidate of featured) this.add(candidate);
  }

  /** Scores a candidate that joined after the pool (a neighbour), against the pool's range. */
  add(candidate: Candidate): void {
    if (this.firstPass.has(candidate.id)) return;
    const featured = this.withFeatures(candidate);
    const { signals, pending } = this.signalsOf(featured);
    const headroom = pending.reduce((sum, signal) => sum + Math.max(0, this.weights.hybrid[signal] ?? 0), 0);
    this.firstPass.set(candidate.id, {
      candidate: featured,
      order: this.firstPass.size,
      signals,
      logit: logit(this.weights.hybrid, signals),
      pending,
      headroom,
    });
  }

  /**
   * The `count` best candidate ids by the first pass (all of them by default), best first. Candidates
   * are settled (time signals worked out) best bound first, until no unsettled one could still rank
   * among the `count` best: the result is the one settling every candidate would give.
   */
  rankedByFirstPass(count = Infinity): number[] {
    const byBound = [...this.firstPass.values()].sort(
      (a, b) => b.logit + b.headroom - (a.logit + a.headroom) || a.order - b.order,
    );
    const settled: FirstPass[] = [];
    const best = new BestLogits(count);
    for (const entry of byBound) {
      if (best.kth() > entry.logit + entry.headroom + BOUND_SLACK) break;
      best.add(this.settle(entry).logit);
      settled.push(entry);
    }
    return settled
      .sort((a, b) => b.logit - a.logit || a.order - b.order)
      .slice(0, count)
      .map((entry) => entry.candidate.id);
  }

  /**
   * The final relevance of the given ids: the second pass with each id's best neighbour as context, its
   * first-pass relevance over the best first-pass relevance of all candidates (1: the neighbour is the
   * strongest match there is). `neighbours` maps an id to the ids stored beside it.
   */
  score(ids: readonly number[], neighbours: ReadonlyMap<number, readonly number[]>): ScoredCandidate[] {
    const [bestId] = this.rankedByFirstPass(1);
    const best = bestId === undefined ? 1 : sigmoid(this.firstPass.get(bestId)!.logit);
    return ids.map((id) => {
      const own = this.settle(this.firstPass.get(id)!);
      const context = Math.max(
        0,
        ...(neighbours.get(id) ?? []).map((other) => {
          const scored = this.firstPass.get(other);
          return scored ? sigmoid(this.settle(scored).logit) / best : 0;
        }),
      );
      const signals = { ...own.signals, [CONTEXT_SIGNAL]: context };
      return { id, signals, relevance: sigmoid(logit(this.weights.hybrid_context, signals)) };
    });
  }

  /** Works out an entry's pending time signals, making its logit exact. */
  private settle(entry: FirstPass): FirstPass {
    if (entry.pending.length === 0) return entry;
    Object.assign(entry.signals, this.timeSignalsOf(entry.candidate));
    entry.logit = logit(this.weights.hybrid, entry.signals);
    entry.pending = [];
    entry.headroom = 0;
    return entry;
  }

  /** The candidate itself when its features were worked out already (CandidateTexts, or the constructor). */
  private withFeatures(candidate: Candidate): Candidate & { features: TextFeatures } {
    if (candidate.features) return candidate as Candidate & { features: TextFeatures };
    return { ...candidate, features: textFeatures(candidate.content, this.facts) };
  }

  /** Every signal but the time signals that need the candidate's time phrase resolved (listed as pending). */
  private signalsOf(candidate: Candidate & { features: TextFeatures }): { signals: Signals; pending: TimeSignal[] } {
    const { minSimilarity, maxSimilarity, maxBm25 } = this.range;
    const spread = maxSimilarity - minSimilarity;
    const { features } = candidate;
    const bm25 = candidate.bm25 ?? 0;
    const { asksWhen, period } = this.facts;
    // A time the grammar need not resolve already says when: only a period needs the event's days.
    const statesTimeKnown = !asksWhen || features.mentionsTime;
    const pending: TimeSignal[] = [];
    if (!statesTimeKnown) pending.push('states_time');
    if (period) pending.push('in_period');
    return {
      signals: {
        semantic: candidate.similarity,
        semantic_relative: spread > 0 ? clamp01((candidate.similarity - minSimilarity) / spread) : 1,
        keyword_relative: maxBm25 > 0 ? clamp01(bm25 / maxBm25) : 0,
        keyword_strength: Math.log1p(Math.max(0, bm25)),
        term_coverage: features.termCoverage,
        name_coverage: features.nameCoverage,
        off_subject: this.subjectInPool && !features.opensWithName ? 1 : 0,
        brevity: brevity(features.wordCount),
        asks: features.asks ? 1 : 0,
        states_time: asksWhen && statesTimeKnown ? 1 : 0,
        in_period: 0,
      },
      pending,
    };
  }

  /** The time signals, from the candidate's own time phrase resolved against when it was written. */
  private timeSignalsOf(candidate: Candidate & { features: TextFeatures }): Pick<Signals, TimeSignal> {
    const { asksWhen, period } = this.facts;
    const event = eventTime(candidate.content, candidate.createdAtMs, this.timeZone);
    return {
      states_time: asksWhen && (event !== undefined || candidate.features.mentionsTime) ? 1 : 0,
      in_period: inPeriod(period, event, candidate.createdAtMs),
    };
  }
}

/** The k best logits seen, best first; `kth` is -Infinity until there are k (and always when k is unbounded). */
class BestLogits {
  private readonly kept: number[] = [];

  constructor(private readonly k: number) {}

  add(value: number): void {
    if (!Number.isFinite(this.k)) return;
    let at = this.kept.length;
    while (at > 0 && this.kept[at - 1] < value) at--;
    this.kept.splice(at, 0, value);
    if (this.kept.length > this.k) this.kept.pop();
  }

  kth(): number {
    return this.kept.length >= this.k ? this.kept[this.k - 1] : -Infinity;
  }
}

/** Summing the weights in another order can differ in the last bits: a bound is trusted only past this. */
const BOUND_SLACK = 1e-9;

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}
