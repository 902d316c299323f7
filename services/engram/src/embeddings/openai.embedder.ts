import { setTimeout as sleep } from 'node:timers/promises';
import { EmbeddingUnavailable } from '../common/domain-errors';
import { Embedder, normalise } from './embedder';
import { parseEmbeddingsResponse } from './openai-response';

export interface OpenAiEmbedderOptions {
  /** Base URL of the API, e.g. http://host:8000/v1; `/embeddings` is appended. */
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** Expected vector length; when absent it is learned from the probe in init(). */
  dimension?: number;
  /** Texts per request. */
  batchSize: number;
  /** Limit for one HTTP attempt, in ms. */
  requestTimeoutMs: number;
  /** Retries after the first attempt for 429, 5xx, timeouts and network errors. */
  maxRetries?: number;
  /** First backoff delay in ms; doubles on each retry. */
  retryBaseDelayMs?: number;
}

const DEFAULT_MAX_RETRIES = 3;
const DEFAULT_RETRY_BASE_DELAY_MS = 250;
// A server's Retry-After is honoured, but never beyond this, so a request cannot hang for minutes.
const MAX_RETRY_AFTER_MS = 10_000;

/** An attempt that failed in a way worth trying again (rate limit, server error, network). */
class RetryableFailure extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * Any OpenAI-compatible `POST {baseUrl}/embeddings` endpoint (OpenAI, vLLM, TEI, Ollama). The API
 * key lives in a private field and is sent only in the Authorization header; it never appears in
 * an error message.
 */
export class OpenAiEmbedder implements Embedder {
  readonly provider = 'openai';
  readonly modelId: string;
  readonly engine: string;
  private expectedDimension?: number;
  private readonly endpoint: string;
  private readonly options: Omit<OpenAiEmbedderOptions, 'apiKey'>;
  readonly #apiKey?: string;

  constructor({ apiKey, ...options }: OpenAiEmbedderOptions) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new Error(`batchSize must be a positive integer, got ${options.batchSize}`);
    }
    this.options = options;
    this.#apiKey = apiKey;
    this.endpoint = `${options.baseUrl.replace(/\/+$/, '')}/embeddings`;
    this.modelId = `openai:${options.model}`;
    // The origin only: a base URL may carry credentials or tokens in its user info or path.
    this.engine = `OpenAI-compatible API at ${new URL(this.endpoint).origin}`;
    this.expectedDimension = options.dimension;
  }

  get dimension(): number {
    return this.expectedDimension ?? 0;
  }

  /** Probes the endpoint with one short text: proves it answers and fixes the dimension. */
  async init(): Promise<void> {
    await this.embed(['ping']);
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const vectors: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += this.options.batchSize) {
      const batch = texts.slice(start, start + this.options.batchSize);
      const rows = await this.requestWithRetries(batch);
      for (const row of rows) vectors.push(normalise(this.checkDimension(row)));
    }
    return vectors;
  }

  async close(): Promise<void> {
    // fetch keeps no per-embedder sockets open that need releasing.
  }

  private checkDimension(vector: Float32Array): Float32Array {
    if (this.expectedDimension === undefined) this.expectedDimension = vector.length;
    if (vector.length !== this.expectedDimension) {
      throw new EmbeddingUnavailable(
        `Embedding endpoint ${this.endpoint} (model ${this.options.model}) returned ${vector.length}-d vectors, ` +
          `expected ${this.expectedDimension}-d; check ENGRAM_EMBEDDING_DIMENSION and the model`,
      );
    }
    return vector;
  }

  private async requestWithRetries(batch: readonly string[]): Promise<Float32Array[]> {
    const maxRetries = this.options.maxRetries ?? DEFAULT_MAX_RETRIES;
    const baseDelay = this.options.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_DELAY_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.request(batch);
      } catch (error) {
        if (!(error instanceof RetryableFailure)) throw error;
        if (attempt >= maxRetries) {
          throw new EmbeddingUnavailable(
            `Embedding endpoint ${this.endpoint} failed after ${attempt + 1} attempts: ${error.message}`,
          );
        }
        await sleep(error.retryAfterMs ?? baseDelay * 2 ** attempt);
      }
    }
  }

  private async request(batch: readonly string[]): Promise<Float32Array[]> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
    };
    if (this.#apiKey) headers.authorization = `Bearer ${this.#apiKey}`;
    let response: Response;
    let body: string;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          model: this.options.model,
          input: batch,
          encoding_format: 'float',
        }),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs),
      });
      body = await response.text();
    } catch (error) {
      const reason =
        (error as Error).name === 'TimeoutError'
          ? `no answer within ${this.options.requestTimeoutMs} ms`
          : describeNetworkError(error);
      throw new RetryableFailure(reason);
    }
    if (response.status === 429 || response.status >= 500) {
      throw new RetryableFailure(
        `HTTP ${response.status} ${excerpt(body)}`,
        retryAfterMs(response.headers.get('retry-after')),
      );
    }
    if (!response.ok) {
      throw new EmbeddingUnavailable(
        `Embedding endpoint ${this.endpoint} answered HTTP ${response.status}: ${excerpt(body)}`,
      );
    }
    return parseEmbeddingsResponse(body, batch.length, this.endpoint);
  }
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

function excerpt(body: string): string {
  return body.length > 200 ? `${body.slice(0, 200)}…` : body;
}

function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, MAX_RETRY_AFTER_MS) : undefined;
}
