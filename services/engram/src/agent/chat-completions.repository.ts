import { PrimaryCircuit } from './primary-circuit';
import { AgentConfig } from '../config/config.types';
import { EngramMetrics } from '../metrics/engram-metrics';
import { Span, SpanKind, traced } from '../tracing/spans';

/**
 * What a client of one chat endpoint needs: the agent's settings are one such; the conflict judge builds
 * another for its own endpoint.
 */
export type ChatEndpointSettings = Pick<
  AgentConfig,
  'baseUrl' | 'apiKey' | 'provider' | 'model' | 'fallback' | 'requestTimeoutMs' | 'maxRetries' | 'maxTokens'
> & {
  /** Overrides the mem-agent's sampling temperature (a judge wants 0: the same pair, the same verdict). */
  temperature?: number;
};

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface Completion {
  text: string;
  promptTokens: number;
  completionTokens: number;
}

/** The model endpoint failed for good (after retries), or answered something unusable. */
export class ModelEndpointError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    /** The endpoint did not answer within requestTimeoutMs (the conflict judge logs timeouts apart). */
    readonly timedOut = false,
  ) {
    super(message);
  }
}

/**
 * The sampling the mem-agent model was trained and evaluated with (reference §6). `top_k` and `min_p`
 * are vLLM extensions; they are dropped for an endpoint that rejects them.
 */
const SAMPLING = { temperature: 0.6, top_p: 0.95 };
const VLLM_SAMPLING = { top_k: 20, min_p: 0 };
const MAX_BACKOFF_MS = 30_000;

/** Which configured endpoint a call went to (a metric label: two values). */
type EndpointRole = 'primary' | 'fallback';

interface Endpoint {
  role: EndpointRole;
  /** How errors name it. */
  label: string;
  baseUrl: string;
  apiKey?: string;
  provider: string;
  model: string;
  /** Turned off for good once the endpoint rejects the vLLM extensions. */
  sendVllmSampling: boolean;
}

/** Why a call went to the fallback (a metric label); a 429 or a 4xx never sends it there. */
type FallbackReason = 'server_error' | 'timeout' | 'unreachable' | 'circuit_open';

/**
 * OpenAI-compatible chat completions (vLLM, OpenRouter, LiteLLM, LM Studio, Ollama…): one request per
 * model turn, stopped before the model can invent a `<result>`, with a per-request timeout, retries
 * with exponential backoff on 429, 5xx and network errors, and duration and token metrics. With a
 * fallback endpoint configured, a primary that answers 5xx, refuses the connection or times out is
 * replaced by the fallback for that call at once (no backoff first); a 4xx is the request's fault and
 * would fail there too, and a 429 is waited out on the primary.
 */
export class ChatCompletionsRepository {
  private readonly primary: Endpoint;
  private readonly fallback: Endpoint | undefined;
  /** What the primary did last time it failed: named when the fallback fails while the circuit is open. */
  private lastPrimaryFailure: RetryableError | undefined;

  constructor(
    private readonly config: ChatEndpointSettings,
    private readonly metrics?: EngramMetrics,
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void> = abortableSleep,
    private readonly circuit = new PrimaryCircuit(),
  ) {
    const { baseUrl = '', apiKey, provider, model, fallback } = config;
    this.primary = {
      role: 'primary',
      label: 'the model endpoint',
      baseUrl,
      apiKey,
      provider,
      model,
      sendVllmSampling: true,
    };
    this.fallback = fallback && {
      role: 'fallback',
      label: 'the fallback endpoint',
      ...fallback,
      sendVllmSampling: true,
    };
  }

  async complete(messages: readonly ChatMessage[], signal?: AbortSignal): Promise<Completion> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.completeOnce(messages, attempt, signal);
      } catch (error) {
        if (signal?.aborted) throw error;
        const retry = error instanceof RetryableError && attempt < this.config.maxRetries;
        if (!retry) throw error instanceof RetryableError ? endpointError(error) : error;
        await this.sleep(error.retryAfterMs ?? Math.min(500 * 2 ** attempt, MAX_BACKOFF_MS), signal);
      }
    }
  }

  /**
   * The primary, then the fallback when the primary failed in a way another endpoint can help with; with
   * the primary's circuit open (PrimaryCircuit), the fallback straight away.
   */
  private async completeOnce(messages: readonly ChatMessage[], attempt: number, signal?: AbortSignal) {
    if (this.fallback && this.lastPrimaryFailure && !this.circuit.tryPrimary()) {
      this.metrics?.llmFallbacks.inc({ reason: 'circuit_open' });
      try {
        return await this.ask(this.fallback, messages, attempt, signal);
      } catch (fallbackError) {
        throw bothFailed(this.lastPrimaryFailure, fallbackError);
      }
    }
    try {
      const completion = await this.ask(this.primary, messages, attempt, signal);
      this.circuit.succeeded();
      this.metrics?.llmPrimaryCircuitOpen.set(0);
      return completion;
    } catch (error) {
      const reason = error instanceof RetryableError ? error.fallbackReason : undefined;
      if (reason) {
        this.circuit.failed();
        this.lastPrimaryFailure = error as RetryableError;
      }
      this.metrics?.llmPrimaryCircuitOpen.set(this.circuit.open ? 1 : 0);
      if (!this.fallback || !reason || signal?.aborted) throw error;
      this.metrics?.llmFallbacks.inc({ reason });
      try {
        return await this.ask(this.fallback, messages, attempt, signal);
      } catch (fallbackError) {
        throw bothFailed(error as RetryableError, fallbackError);
      }
    }
  }

  private async ask(endpoint: Endpoint, messages: readonly ChatMessage[], attempt: number, signal?: AbortSignal) {
    const stopTimer = this.metrics?.llmRequestDuration.startTimer({ provider: endpoint.provider });
    try {
      const completion = await this.requestTraced(endpoint, messages, attempt, signal);
      stopTimer?.({ outcome: 'ok' });
      this.metrics?.llmAnswers.inc({ endpoint: endpoint.role });
      this.metrics?.llmTokens.inc({ direction: 'prompt' }, completion.promptTokens);
      this.metrics?.llmTokens.inc({ direction: 'completion' }, completion.completionTokens);
      return completion;
    } catch (error) {
      stopTimer?.({ outcome: 'error' });
      throw error;
    }
  }

  /** One model call as a client span: model, provider and token counts, never the messages. */
  private requestTraced(
    endpoint: Endpoint,
    messages: readonly ChatMessage[],
    attempt: number,
    signal?: AbortSignal,
  ): Promise<Completion> {
    const attributes = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': endpoint.provider,
      'gen_ai.request.model': endpoint.model,
      'engram.attempt': attempt,
      'engram.model_endpoint': endpoint.role,
    };
    const call = async (span: Span) => {
      const completion = await this.requestOnce(endpoint, messages, signal);
      span.setAttribute('gen_ai.usage.input_tokens', completion.promptTokens);
      span.setAttribute('gen_ai.usage.output_tokens', completion.completionTokens);
      return completion;
    };
    return traced(`chat ${endpoint.model}`, attributes, call, SpanKind.CLIENT);
  }

  private async requestOnce(
    endpoint: Endpoint,
    messages: readonly ChatMessage[],
    signal?: AbortSignal,
  ): Promise<Completion> {
    const timeout = AbortSignal.timeout(this.config.requestTimeoutMs);
    let response: Response;
    try {
      response = await fetch(`${endpoint.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: headers(endpoint),
        body: JSON.stringify(this.body(endpoint, messages)),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      const cause = timeout.aborted ? `timed out after ${this.config.requestTimeoutMs / 1000} s` : describe(error);
      throw new RetryableError(
        `${endpoint.label} did not answer (${cause})`,
        timeout.aborted ? 'timeout' : 'unreachable',
      );
    }
    const text = await response.text().catch(() => '');
    if (response.status === 400 && endpoint.sendVllmSampling && /top_k|min_p/.test(text)) {
      endpoint.sendVllmSampling = false;
      return this.requestOnce(endpoint, messages, signal);
    }
    if (response.status === 429 || response.status >= 500) {
      throw new RetryableError(
        `${endpoint.label} answered ${response.status}`,
        response.status === 429 ? undefined : 'server_error',
        response.status,
        retryAfterMs(response.headers.get('retry-after')),
      );
    }
    if (!response.ok) {
      throw new ModelEndpointError(
        `${endpoint.label} answered ${response.status}: ${errorMessage(text)}`,
        response.status,
      );
    }
    return parseCompletion(text);
  }

  private body(endpoint: Endpoint, messages: readonly ChatMessage[]): Record<string, unknown> {
    return {
      model: endpoint.model,
      messages,
      ...SAMPLING,
      ...(this.config.temperature === undefined ? {} : { temperature: this.config.temperature }),
      ...(endpoint.sendVllmSampling ? VLLM_SAMPLING : {}),
      max_tokens: this.config.maxTokens,
      stop: ['<result>'],
      stream: false,
    };
  }
}

function headers(endpoint: Endpoint): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (endpoint.apiKey) headers.authorization = `Bearer ${endpoint.apiKey}`;
  return headers;
}

class RetryableError extends Error {
  constructor(
    message: string,
    /** Set when another endpoint may answer where this one could not. */
    readonly fallbackReason?: FallbackReason,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** A retryable failure past its retries, as callers see it (a timeout still said to be one). */
function endpointError({ message, status, fallbackReason }: RetryableError): ModelEndpointError {
  return new ModelEndpointError(message, status, fallbackReason === 'timeout');
}

/** Both endpoints failed: one error naming both, retried (on the primary first) when the fallback's is. */
function bothFailed(primary: RetryableError, fallback: unknown): Error {
  const message = `${primary.message}, and ${(fallback as Error).message}`;
  if (fallback instanceof RetryableError)
    return new RetryableError(message, undefined, fallback.status, fallback.retryAfterMs);
  if (fallback instanceof ModelEndpointError) return new ModelEndpointError(message, fallback.status);
  return fallback as Error;
}

/**
 * The action text of the first choice. A provider that returns the thoughts apart
 * (`reasoning_content`) gives the action in `content`; both are joined the way the model wrote them.
 */
function parseCompletion(text: string): Completion {
  let body: {
    choices?: { message?: { content?: unknown; reasoning_content?: unknown } }[];
    usage?: { prompt_tokens?: number; completion_tokens?: number };
  };
  try {
    body = JSON.parse(text);
  } catch {
    throw new ModelEndpointError('the model endpoint answered with something that is not JSON');
  }
  const message = body.choices?.[0]?.message;
  if (!message || (typeof message.content !== 'string' && message.content !== null)) {
    throw new ModelEndpointError('the model endpoint answered without choices[0].message.content');
  }
  const content = typeof message.content === 'string' ? message.content : '';
  const reasoning = typeof message.reasoning_content === 'string' ? message.reasoning_content : '';
  return {
    text: reasoning && !content.includes('</think>') ? `${reasoning}</think>${content}` : content,
    promptTokens: body.usage?.prompt_tokens ?? 0,
    completionTokens: body.usage?.completion_tokens ?? 0,
  };
}

function retryAfterMs(header: string | null): number | undefined {
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Math.min(Number(header) * 1000, MAX_BACKOFF_MS);
}

function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    const message = typeof body.error === 'string' ? body.error : (body.error?.message ?? body.message);
    if (message) return message.slice(0, 300);
  } catch {
    // not JSON: fall through
  }
  return text.slice(0, 300) || 'no details';
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  return cause ?? (error as Error).message;
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
