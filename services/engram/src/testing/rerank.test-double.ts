import { createServer, ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback-server';
import { readBody, send, sendError as sendOpenAiError, words } from './test-double-http';

/** One scripted misbehaviour, served instead of the next normal answer. */
export type RerankFailure =
  /** Answer with this HTTP status and an error body. */
  | { kind: 'status'; status: number }
  /** Accept the request and never answer (the client must time out). */
  | { kind: 'hang' }
  /** Answer 200 with a body that is not JSON. */
  | { kind: 'bad-json' }
  /** Answer 200 with a score for a document index that was not sent. */
  | { kind: 'bad-index' };

export interface RerankTestDoubleOptions {
  /** Model name accepted on the vLLM route (404 for others, as vLLM does); default `test-reranker`. */
  model?: string;
  /** When set, requests without `Authorization: Bearer <apiKey>` get 401. */
  apiKey?: string;
}

export interface RerankRequestSeen {
  route: '/v1/rerank' | '/rerank';
  query: string;
  documents: string[];
  authorization?: string;
}

export interface RerankTestDouble {
  /** Base URL for the vLLM (Jina/Cohere) format: `${url}/rerank` is `/v1/rerank`. */
  readonly url: string;
  /** Base URL for the TEI format: `${teiUrl}/rerank`. */
  readonly teiUrl: string;
  readonly model: string;
  /** Every request that reached a rerank route, failed ones included, in arrival order. */
  readonly requests: readonly RerankRequestSeen[];
  fail(...failures: RerankFailure[]): void;
  /** Replaces how documents are scored (default: `overlap`), e.g. to favour one a test picked. */
  scoreWith(scorer: (query: string, document: string) => number): void;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 speaking two rerank wire formats: vLLM's `POST /v1/rerank`
 * (`{model, query, documents, top_n}` → `{id, model, usage, results: [{index, document, relevance_score}]}`,
 * best first) and text-embeddings-inference's `POST /rerank` (`{query, texts}` → `[{index, score}]`, best
 * first). The score is the share of the query's words (three letters or more) a document contains, so
 * tests know which order to expect.
 */
export async function startRerankTestDouble(options: RerankTestDoubleOptions = {}): Promise<RerankTestDouble> {
  const model = options.model ?? 'test-reranker';
  const pending: RerankFailure[] = [];
  const requests: RerankRequestSeen[] = [];
  let scorer = overlap;

  const server = createServer((request, response) => {
    void readBody(request).then((body) => {
      const route = request.url === '/v1/rerank' || request.url === '/rerank' ? request.url : undefined;
      if (request.method !== 'POST' || !route)
        return sendError(response, 404, `No route ${request.method} ${request.url}`);
      let parsed: { model?: unknown; query?: unknown; documents?: unknown; texts?: unknown };
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch {
        return sendError(response, 400, 'Body is not JSON');
      }
      const documents = route === '/rerank' ? parsed.texts : parsed.documents;
      requests.push({
        route,
        query: String(parsed.query),
        documents: Array.isArray(documents) ? documents.map(String) : [],
        authorization: request.headers.authorization,
      });
      const failure = pending.shift();
      if (failure?.kind === 'hang') return;
      if (failure?.kind === 'status') return sendError(response, failure.status, `Scripted failure ${failure.status}`);
      if (failure?.kind === 'bad-json') return send(response, 200, '{"results": [');
      if (options.apiKey !== undefined && request.headers.authorization !== `Bearer ${options.apiKey}`) {
        return sendError(response, 401, 'Unauthorized');
      }
      if (route === '/v1/rerank' && parsed.model !== model) {
        return sendError(response, 404, `The model \`${String(parsed.model)}\` does not exist.`);
      }
      if (typeof parsed.query !== 'string' || !Array.isArray(documents)) {
        return sendError(response, 400, 'query and documents (texts) are required');
      }
      const ranked = documents
        .map((text, index) => ({
          index: failure?.kind === 'bad-index' ? index + documents.length : index,
          score: scorer(parsed.query as string, String(text)),
          text: String(text),
        }))
        .sort((a, b) => b.score - a.score);
      if (route === '/rerank')
        return send(response, 200, JSON.stringify(ranked.map(({ index, score }) => ({ index, score }))));
      send(
        response,
        200,
        JSON.stringify({
          id: `rerank-${requests.length}`,
          model,
          usage: { prompt_tokens: 0, total_tokens: 0 },
          results: ranked.map(({ index, score, text }) => ({ index, document: { text }, relevance_score: score })),
        }),
      );
    });
  });
  const { port, close } = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}/v1`,
    teiUrl: `http://127.0.0.1:${port}`,
    model,
    requests,
    fail: (...failures) => pending.push(...failures),
    scoreWith: (next) => (scorer = next),
    close,
  };
}

/** Share of the query's words of three letters or more that the document contains. */
export function overlap(query: string, document: string): number {
  const wanted = new Set(words(query).filter((word) => word.length >= 3));
  if (wanted.size === 0) return 0;
  const present = new Set(words(document));
  return [...wanted].filter((word) => present.has(word)).length / wanted.size;
}

/** vLLM answers errors in OpenAI's shape with the status as `code`. */
function sendError(response: ServerResponse, status: number, message: string): void {
  sendOpenAiError(response, status, message, status);
}
