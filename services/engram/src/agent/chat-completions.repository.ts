import { AgentConfig } from '../config/config.types';
import { EngramMetrics } from '../metrics/engram-metrics';
import { Span, SpanKind, traced } from '../tracing/spans';

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

/**
 * OpenAI-compatible chat completions (vLLM, OpenRouter, LiteLLM, LM Studio, Ollama…): one request per
 * model turn, stopped before the model can invent a `<result>`, with a per-request timeout, retries
 * with exponential backoff on 429, 5xx and network errors, and duration and token metrics.
 */
export class ChatCompletionsRepository {
  /** Turned off for good once the endpoint rejects the vLLM extensions. */
  private sendVllmSampling = true;

  constructor(
    private readonly config: AgentConfig,
    private readonly metrics?: EngramMetrics,
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void> = abortableSleep,
  ) {}

  async complete(messages: readonly ChatMessage[], signal?: AbortSignal): Promise<Completion> {
    for (let attempt = 0; ; attempt += 1) {
      const stopTimer = this.metrics?.llmRequestDuration.startTimer({ provider: this.config.provider });
      try {
        const completion = await this.requestTraced(messages, attempt, signal);
        stopTimer?.({ outcome: 'ok' });
        this.metrics?.llmTokens.inc({ direction: 'prompt' }, completion.promptTokens);
        this.metrics?.llmTokens.inc({ direction: 'completion' }, completion.completionTokens);
        return completion;
      } catch (error) {
        stopTimer?.({ outcome: 'error' });
        if (signal?.aborted) throw error;
        const retry = error instanceof RetryableError && attempt < this.config.maxRetries;
        if (!retry) throw error instanceof RetryableError ? new ModelEndpointError(error.message, error.status) : error;
        await this.sleep(error.retryAfterMs ?? Math.min(500 * 2 ** attempt, MAX_BACKOFF_MS), signal);
      }
    }
  }

  /** One model call as a client span: model, provider and token counts, never the messages. */
  private requestTraced(messages: readonly ChatMessage[], attempt: number, signal?: AbortSignal): Promise<Completion> {
    const attributes = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': this.config.provider,
      'gen_ai.request.model': this.config.model,
      'engram.attempt': attempt,
    };
    const call = async (span: Span) => {
      const completion = await this.requestOnce(messages, signal);
      span.setAttribute('gen_ai.usage.input_tokens', completion.promptTokens);
      span.setAttribute('gen_ai.usage.output_tokens', completion.completionTokens);
      return completion;
    };
    return traced(`chat ${this.config.model}`, attributes, call, SpanKind.CLIENT);
  }

  private async requestOnce(messages: readonly ChatMessage[], signal?: AbortSignal): Promise<Completion> {
    const timeout = AbortSignal.timeout(this.config.requestTimeoutMs);
    let response: Response;
    try {
      response = await fetch(`${this.config.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: this.headers(),
        body: JSON.stringify(this.body(messages)),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      const cause = timeout.aborted ? `timed out after ${this.config.requestTimeoutMs / 1000} s` : describe(error);
      throw new RetryableError(`the model endpoint did not answer (${cause})`);
    }
    const text = await response.text().catch(() => '');
    if (response.status === 400 && this.sendVllmSampling && /top_k|min_p/.test(text)) {
      this.sendVllmSampling = false;
      return this.requestOnce(messages, signal);
    }
    if (response.status === 429 || response.status >= 500) {
      throw new RetryableError(
        `the model endpoint answered ${response.status}`,
        response.status,
        retryAfterMs(response.headers.get('retry-after')),
      );
    }
    if (!response.ok) {
      throw new ModelEndpointError(
        `the model endpoint answered ${response.status}: ${errorMessage(text)}`,
        response.status,
      );
    }
    return parseCompletion(text);
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.config.apiKey) headers.authorization = `Bearer ${this.config.apiKey}`;
    return headers;
  }

  private body(messages: readonly ChatMessage[]): Record<string, unknown> {
    return {
      model: this.config.model,
      messages,
      ...SAMPLING,
      ...(this.sendVllmSampling ? VLLM_SAMPLING : {}),
      max_tokens: this.config.maxTokens,
      stop: ['<result>'],
      stream: false,
    };
  }
}

class RetryableError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
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
