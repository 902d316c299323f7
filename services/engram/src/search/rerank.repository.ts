import { RerankConfig } from '../config/config.types';

/** Why a rerank call gave no scores: the search then answers without the rerank stage. */
export type RerankFailureKind = 'timeout' | 'error';

export class RerankFailure extends Error {
  constructor(
    readonly kind: RerankFailureKind,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Longest document text sent to the reranker, in characters. Cross-encoders read a few hundred to a few
 * thousand tokens; cutting here bounds the request and the model's work whatever a memory holds.
 */
export const MAX_RERANK_DOCUMENT_CHARS = 4000;

/**
 * HTTP to a cross-encoder reranker. Two wire formats:
 * - `jina`: `POST {url}/rerank` `{model, query, documents, top_n}` → `{results: [{index, relevance_score}]}`,
 *   as vLLM (for its `--runner pooling` cross-encoders), Jina and Cohere-compatible servers serve it;
 * - `tei`: `POST {url}/rerank` `{query, texts, truncate}` → `[{index, score}]`, Hugging Face
 *   text-embeddings-inference.
 * The API key travels only in the Authorization header and never appears in a message.
 */
export class RerankRepository {
  private readonly endpoint?: string;
  private readonly config: Omit<RerankConfig, 'apiKey'>;
  readonly #apiKey?: string;

  constructor({ apiKey, ...config }: RerankConfig) {
    this.config = config;
    this.endpoint = config.url ? `${config.url.replace(/\/+$/, '')}/rerank` : undefined;
    this.#apiKey = apiKey;
  }

  /** False when no ENGRAM_RERANK_URL is set: there is no rerank stage. */
  get configured(): boolean {
    return this.endpoint !== undefined;
  }

  /** What answers, for messages: the origin only, since a URL may carry credentials. */
  get origin(): string {
    return this.endpoint ? new URL(this.endpoint).origin : 'no reranker';
  }

  /** One relevance score per document, in the documents' order. Throws RerankFailure. */
  async rerank(query: string, documents: readonly string[]): Promise<number[]> {
    if (!this.endpoint) throw new RerankFailure('error', 'no reranker is configured (ENGRAM_RERANK_URL)');
    if (documents.length === 0) return [];
    const texts = documents.map((text) => text.slice(0, MAX_RERANK_DOCUMENT_CHARS));
    const body =
      this.config.api === 'tei'
        ? { query, texts, truncate: true }
        : { ...(this.config.model ? { model: this.config.model } : {}), query, documents: texts, top_n: texts.length };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.#apiKey) headers.authorization = `Bearer ${this.#apiKey}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') {
        throw new RerankFailure('timeout', `no answer from ${this.origin} within ${this.config.timeoutMs} ms`);
      }
      throw new RerankFailure('error', `${this.origin} unreachable: ${describeNetworkError(error)}`);
    }
    if (!response.ok) throw new RerankFailure('error', `${this.origin} answered HTTP ${response.status}`);
    return parseScores(text, documents.length, this.config.api, this.origin);
  }
}

/** Reads either format into one score per document; anything else is the server's fault. */
export function parseScores(body: string, count: number, api: RerankConfig['api'], origin: string): number[] {
  const fail = (problem: string): never => {
    throw new RerankFailure('error', `${origin} sent an invalid rerank answer: ${problem}`);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return fail('not JSON');
  }
  const items = api === 'tei' ? parsed : (parsed as { results?: unknown } | null)?.results;
  if (!Array.isArray(items)) return fail(api === 'tei' ? 'not an array' : 'no "results" array');
  const scores = new Array<number | undefined>(count);
  for (const item of items as { index?: unknown; score?: unknown; relevance_score?: unknown }[]) {
    const index = item?.index;
    const score = api === 'tei' ? item?.score : item?.relevance_score;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= count) {
      return fail(`index ${JSON.stringify(index)} is not one of the ${count} documents`);
    }
    if (typeof score !== 'number' || !Number.isFinite(score)) return fail(`document ${index} has no numeric score`);
    scores[index] = score;
  }
  if (scores.some((score) => score === undefined)) return fail(`${items.length} scores for ${count} documents`);
  return scores as number[];
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
