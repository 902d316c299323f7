import { createHash } from 'node:crypto';
import { createServer, ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback-server';
import { readBody, send, sendError as sendOpenAiError, words } from './test-double-http';

/** One scripted misbehaviour, applied to the next request(s) instead of a normal answer. */
export type ScriptedFailure =
  /** Answer with this HTTP status (429, 500, 503, 400 …) and an OpenAI-style error body. */
  | {
      kind: 'status';
      status: number;
      retryAfterSeconds?: number;
      times?: number;
    }
  /** Answer 200 with a body that is not JSON. */
  | { kind: 'bad-json'; times?: number }
  /** Answer 200 with vectors one element longer than `dimension`. */
  | { kind: 'wrong-dimension'; times?: number }
  /** Accept the request and never answer (the client must time out). */
  | { kind: 'hang'; times?: number }
  /** Close the connection without an answer (a network error for the client). */
  | { kind: 'drop'; times?: number }
  /** Answer normally: lets a start-up probe through before the failures queued after it. */
  | { kind: 'answer'; times?: number };

export interface OpenAiEmbeddingsTestDoubleOptions {
  dimension: number;
  /** Model name the server accepts (404 for others, as OpenAI does); default `test-embedding`. */
  model?: string;
  /** When set, requests without `Authorization: Bearer <apiKey>` get 401. */
  apiKey?: string;
  /** Failures served in order before normal answers resume. */
  failures?: ScriptedFailure[];
}

export interface OpenAiEmbeddingsTestDouble {
  /** Base URL ending in /v1, as an OpenAI client expects. */
  readonly url: string;
  readonly model: string;
  /** HTTP requests received so far on /v1/embeddings, failed ones included. */
  readonly requests: number;
  /** Every input text received in successful answers, in arrival order. */
  readonly inputs: readonly string[];
  /** Authorization header of the last request, if any. */
  readonly lastAuthorization: string | undefined;
  /** Queues more failures after those already scripted. */
  fail(...failures: ScriptedFailure[]): void;
  /**
   * Holds the answer to the first request whose texts `match` until released, so a test can act while
   * the client waits for it (take a lock the client's next write meets).
   */
  hold(match: (texts: readonly string[]) => boolean): HeldRequest;
  close(): Promise<void>;
}

export interface HeldRequest {
  /** Resolves once the matching request has arrived (and waits). */
  arrived: Promise<void>;
  /** Answers it, normally. */
  release(): void;
}

/**
 * The env pointing an engram process at `double`, whose held requests (hold) it waits for as long as a spec
 * needs: the steps a spec takes meanwhile must not outlast its timeout on a slow machine, as no retry lets
 * a held request by.
 */
export function heldEmbeddingsEnv(double: Pick<OpenAiEmbeddingsTestDouble, 'url' | 'model'>): Record<string, string> {
  return {
    ENGRAM_EMBEDDING_PROVIDER: 'openai',
    MCP_EXTERNAL_EMBEDDING_URL: double.url,
    MCP_EXTERNAL_EMBEDDING_MODEL: double.model,
    ENGRAM_EMBEDDING_TIMEOUT_MS: '300000',
  };
}

/**
 * A real HTTP server on 127.0.0.1 speaking the OpenAI embeddings wire format, with deterministic
 * vectors (hashedBagOfWords) and scriptable failures, for tests that need an external endpoint.
 */
export async function startOpenAiEmbeddingsTestDouble(
  options: OpenAiEmbeddingsTestDoubleOptions,
): Promise<OpenAiEmbeddingsTestDouble> {
  const model = options.model ?? 'test-embedding';
  const pending: ScriptedFailure[] = [];
  const inputs: string[] = [];
  let requests = 0;
  let lastAuthorization: string | undefined;
  const holds: { match: (texts: readonly string[]) => boolean; arrive: () => void; released: Promise<void> }[] = [];
  const enqueue = (failures: ScriptedFailure[]) => {
    for (const failure of failures) for (let i = 0; i < (failure.times ?? 1); i++) pending.push(failure);
  };
  enqueue(options.failures ?? []);

  const server = createServer((request, response) => {
    void readBody(request).then(async (body) => {
      if (request.method !== 'POST' || request.url !== '/v1/embeddings') {
        return sendError(response, 404, `No route ${request.method} ${request.url}`);
      }
      requests++;
      lastAuthorization = request.headers.authorization;
      const failure = pending.shift();
      if (failure?.kind === 'hang') return;
      if (failure?.kind === 'drop') return request.socket.destroy();
      if (failure?.kind === 'bad-json') return send(response, 200, '{"object":"list","data":[');
      if (failure?.kind === 'status') {
        if (failure.retryAfterSeconds !== undefined)
          response.setHeader('retry-after', String(failure.retryAfterSeconds));
        return sendError(response, failure.status, `Scripted failure ${failure.status}`);
      }
      if (options.apiKey !== undefined && lastAuthorization !== `Bearer ${options.apiKey}`) {
        return sendError(response, 401, 'Incorrect API key provided');
      }
      let parsed: { model?: unknown; input?: unknown };
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch {
        return sendError(response, 400, 'Body is not JSON');
      }
      if (parsed.model !== model) return sendError(response, 404, `The model '${String(parsed.model)}' does not exist`);
      const texts = typeof parsed.input === 'string' ? [parsed.input] : parsed.input;
      if (!Array.isArray(texts) || texts.length === 0 || !texts.every((text) => typeof text === 'string')) {
        return sendError(response, 400, "'input' must be a string or a non-empty array of strings");
      }
      const held = holds.findIndex((hold) => hold.match(texts));
      if (held !== -1) {
        const [{ arrive, released }] = holds.splice(held, 1);
        arrive();
        await released;
      }
      inputs.push(...texts);
      const dimension = options.dimension + (failure?.kind === 'wrong-dimension' ? 1 : 0);
      const tokens = texts.reduce((sum, text) => sum + words(text).length, 0);
      send(
        response,
        200,
        JSON.stringify({
          object: 'list',
          data: texts.map((text, index) => ({
            object: 'embedding',
            index,
            embedding: hashedBagOfWords(text, dimension),
          })),
          model,
          usage: { prompt_tokens: tokens, total_tokens: tokens },
        }),
      );
    });
  });
  const { port, close } = await listenOnLoopback(server);

  return {
    url: `http://127.0.0.1:${port}/v1`,
    model,
    get requests() {
      return requests;
    },
    inputs,
    get lastAuthorization() {
      return lastAuthorization;
    },
    fail: (...failures) => enqueue(failures),
    hold(match) {
      let arrive!: () => void;
      let release!: () => void;
      const arrived = new Promise<void>((resolve) => (arrive = resolve));
      holds.push({ match, arrive, released: new Promise<void>((resolve) => (release = resolve)) });
      return { arrived, release };
    },
    close,
  };
}

/**
 * The double's deterministic unit vector for a text: each lower-cased word adds ±1 at a hashed
 * position, so texts sharing words are close and unrelated texts are nearly orthogonal.
 */
export function hashedBagOfWords(text: string, dimension: number): number[] {
  const vector = new Array<number>(dimension).fill(0);
  for (const word of words(text)) {
    const digest = createHash('sha256').update(word).digest();
    vector[digest.readUInt32LE(0) % dimension] += digest[4] & 1 ? 1 : -1;
  }
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
  if (norm === 0) vector[0] = 1;
  return norm === 0 ? vector : vector.map((value) => value / norm);
}

/** OpenAI answers errors with `code: null`. */
function sendError(response: ServerResponse, status: number, message: string): void {
  sendOpenAiError(response, status, message, null);
}
