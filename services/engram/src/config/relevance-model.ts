/**
 * The relevance model: a logistic function of a candidate's signals, read as the probability that the
 * memory is what the query looks for. Being a probability, a score means the same for every query (a
 * floor of 0.3 keeps what is at least 30% likely to be relevant), unlike min-max scores, where the best
 * candidate of any query scores 1 however poor it is.
 */

/** Signals of one candidate in hybrid search (search/relevance-signals.ts and search.service.ts). */
export const HYBRID_SIGNALS = [
  /** Cosine similarity of query and memory. */
  'semantic',
  /** The cosine rescaled over the candidates: 1 for the closest, 0 for the farthest. */
  'semantic_relative',
  /** BM25 over the best BM25 among the candidates (0 without a keyword match). */
  'keyword_relative',
  /** log(1 + BM25): how strong the keyword match is in itself. */
  'keyword_strength',
  /** Share of the query's word stems the memory contains. */
  'term_coverage',
  /** Share of the names in the query the memory mentions. */
  'name_coverage',
  /** Some candidate opens with a name the query mentions, and this memory does not: it is about someone else. */
  'off_subject',
  /** 1 for a very short memory, 0 from ten words up. */
  'brevity',
  /** The query asks when, and the memory says when its event happened. */
  'states_time',
  /** The query names a period and the memory's event (its own time phrase, else when it was written) falls in it. */
  'in_period',
  /** The memory ends in a question: it asks rather than tells. */
  'asks',
] as const;

/**
 * The best first-pass relevance among the memories stored right before and after this one, over the best
 * first-pass relevance of any candidate.
 */
export const CONTEXT_SIGNAL = 'neighbour';

export const SEMANTIC_SIGNALS = ['semantic', 'semantic_relative'] as const;
export const KEYWORD_SIGNALS = ['keyword_relative', 'keyword_strength', 'term_coverage'] as const;

export type SignalName = (typeof HYBRID_SIGNALS)[number] | typeof CONTEXT_SIGNAL;
export type Signals = Partial<Record<SignalName, number>>;

/** Intercept and one weight per signal; a signal without a weight does not count. */
export type LogisticWeights = { bias: number } & Signals;

export interface RelevanceWeights {
  /** Hybrid search, first pass: each candidate on its own signals. */
  hybrid: LogisticWeights;
  /** Hybrid search, second pass: the first pass's signals plus `neighbour`. */
  hybrid_context: LogisticWeights;
  semantic: LogisticWeights;
  keyword: LogisticWeights;
}

export const RELEVANCE_MODELS = ['hybrid', 'hybrid_context', 'semantic', 'keyword'] as const;
export const ALL_SIGNALS: readonly SignalName[] = [...HYBRID_SIGNALS, CONTEXT_SIGNAL];

/**
 * Fitted by logistic regression on the LoCoMo tuning conversations (conv-26, conv-30), observation and
 * turn granularity pooled, with the bundled embedding model: `npm run eval:locomo -- --fit` (docs/retrieval.md).
 * A candidate is relevant when it carries an evidence turn of the question. `in_period` came later: its
 * weights are from a refit with it, the others kept, because the whole refit ranked observations worse.
 * `off_subject` came last, fitted the same way, and counts in the second pass only: in the first it would
 * lower what a reply by the other person lends through `neighbour` (measured: turn recall fell). It only
 * ever lowers a score, so memories that open with the person asked about keep their calibrated scores.
 */
export const DEFAULT_RELEVANCE_WEIGHTS: RelevanceWeights = {
  hybrid: {
    bias: -10.733,
    semantic: 4.787,
    semantic_relative: 2.86,
    keyword_relative: 1.296,
    keyword_strength: 0.471,
    term_coverage: 1.974,
    name_coverage: 0.641,
    brevity: 0.895,
    states_time: 1.287,
    in_period: 1.931,
    asks: -0.736,
  },
  hybrid_context: {
    bias: -10.818,
    semantic: 4.728,
    semantic_relative: 2.824,
    keyword_relative: 1.28,
    keyword_strength: 0.465,
    term_coverage: 1.95,
    name_coverage: 0.633,
    brevity: 0.884,
    states_time: 1.271,
    in_period: 1.855,
    asks: -0.727,
    neighbour: 1.229,
    off_subject: -1.158,
  },
  semantic: { bias: -8.414, semantic: 5.075, semantic_relative: 3.383 },
  keyword: { bias: -7.099, keyword_relative: 3.4, keyword_strength: 0.8, term_coverage: 1.6 },
};

export function logit(weights: LogisticWeights, signals: Signals): number {
  let sum = weights.bias;
  for (const name of ALL_SIGNALS) {
    const weight = weights[name];
    if (weight !== undefined) sum += weight * (signals[name] ?? 0);
  }
  return sum;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * Reads weights given as JSON (`{"hybrid": {"bias": -4, "semantic": 2, …}, …}`): each model named
 * replaces the default one whole. Problems are pushed one per line; undefined when there are any.
 */
export function parseRelevanceWeights(json: string, problems: string[]): RelevanceWeights | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    problems.push('not valid JSON');
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push(`expected an object with any of ${RELEVANCE_MODELS.join(', ')}`);
    return undefined;
  }
  const before = problems.length;
  const weights: RelevanceWeights = { ...DEFAULT_RELEVANCE_WEIGHTS };
  for (const [model, value] of Object.entries(parsed)) {
    if (!(RELEVANCE_MODELS as readonly string[]).includes(model)) {
      problems.push(`unknown model "${model}" (known: ${RELEVANCE_MODELS.join(', ')})`);
      continue;
    }
    const parsedWeights = parseLogisticWeights(model, value, problems);
    if (parsedWeights) weights[model as (typeof RELEVANCE_MODELS)[number]] = parsedWeights;
  }
  return problems.length === before ? weights : undefined;
}

function parseLogisticWeights(model: string, value: unknown, problems: string[]): LogisticWeights | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${model} must be an object of numbers`);
    return undefined;
  }
  const entries = Object.entries(value);
  const bad = entries.filter(
    ([name, weight]) =>
      (name !== 'bias' && !(ALL_SIGNALS as readonly string[]).includes(name)) || !Number.isFinite(weight),
  );
  for (const [name] of bad) problems.push(`${model}.${name} is not a known signal with a finite number`);
  if (typeof (value as { bias?: unknown }).bias !== 'number') problems.push(`${model}.bias is required`);
  return bad.length === 0 ? (Object.fromEntries(entries) as LogisticWeights) : undefined;
}
