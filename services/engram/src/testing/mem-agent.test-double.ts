import { createServer, ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback-server';
import { readBody } from './test-double-http';

/**
 * TEST DOUBLE of the mem-agent model: a real HTTP server on 127.0.0.1 speaking the OpenAI
 * chat-completions wire format, replaying scripted completions as driaforall/mem-agent writes them
 * under vLLM (text that starts inside the thought and holds only the closing `</think>`, fenced code,
 * and so on). It is the only stand-in in the agent's tests; everything else is the real service.
 */

/** One scripted completion: the `content` text, optionally with thoughts apart or a usage report. */
export interface ScriptedCompletion {
  content: string;
  /** Sent as `reasoning_content` (providers that split the thoughts out). */
  reasoning?: string;
  /** Milliseconds to wait before answering (to make concurrent runs overlap). */
  delayMs?: number;
  /** Answered only once this settles: the run waits for its model there, as long as the test wants. */
  heldUntil?: Promise<unknown>;
}

/** What the double answers for one conversation, chosen by a phrase of the question. */
export interface Scenario {
  /** The scenario applies when the first user message contains this text. */
  question: string;
  /**
   * The n-th model call of the conversation gets the n-th entry; the last one repeats. A function
   * sees the messages of the request (to act on what the last result showed).
   */
  turns: (ScriptedCompletion | string | ((messages: ChatMessages) => ScriptedCompletion | string))[];
}

type ChatMessages = { role: string; content: string }[];

export interface RecordedRequest {
  body: {
    model: string;
    messages: { role: string; content: string }[];
    temperature?: number;
    top_p?: number;
    top_k?: number;
    min_p?: number;
    max_tokens?: number;
    stop?: string[];
  };
  authorization?: string;
}

export interface MemAgentTestDouble {
  /** Base URL ending in /v1. */
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  /** Requests of the conversation whose question contains `phrase`, in order. */
  requestsFor(phrase: string): RecordedRequest[];
  /** Answers the next `times` requests with this HTTP status (429, 500, 503…). */
  failNext(status: number, times?: number): void;
  /** Never answers the next request (the client's timeout ends it), as a stuck model server would. */
  stallNext(): void;
  close(): Promise<void>;
}

export async function startMemAgentTestDouble(
  scenarios: Scenario[],
  model = 'driaforall/mem-agent',
): Promise<MemAgentTestDouble> {
  const requests: RecordedRequest[] = [];
  const failures: (number | 'stall')[] = [];

  const server = createServer((request, response) => {
    void readBody(request).then(async (text) => {
      if (request.method === 'GET' && request.url === '/v1/models') {
        return sendJson(response, 200, { object: 'list', data: [{ id: model, object: 'model', owned_by: 'vllm' }] });
      }
      if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
        return sendJson(response, 404, { error: { message: `No route ${request.method} ${request.url}` } });
      }
      const status = failures.shift();
      if (status === 'stall') return;
      if (status !== undefined) return sendJson(response, status, { error: { message: `Scripted failure ${status}` } });
      let body: RecordedRequest['body'];
      try {
        body = JSON.parse(text) as RecordedRequest['body'];
      } catch {
        return sendJson(response, 400, { error: { message: 'Body is not JSON' } });
      }
      if (body.model !== model)
        return sendJson(response, 404, { error: { message: `The model '${body.model}' does not exist` } });
      requests.push({ body, authorization: request.headers.authorization });
      const question = body.messages.find((message) => message.role === 'user')?.content ?? '';
      const scenario = scenarios.find((candidate) => question.includes(candidate.question));
      if (!scenario) return sendJson(response, 400, { error: { message: 'No scenario scripted for this question' } });
      const call = body.messages.filter((message) => message.role === 'assistant').length;
      const entry = scenario.turns[Math.min(call, scenario.turns.length - 1)];
      const scripted = typeof entry === 'function' ? entry(body.messages) : entry;
      const completion = typeof scripted === 'string' ? { content: scripted } : scripted;
      if (completion.delayMs || completion.heldUntil) {
        // A client that hangs up (a cancelled or interrupted question, a killed api) ends the wait: nothing is
        // left pending.
        await new Promise<void>((resolve) => {
          const timer = completion.delayMs ? setTimeout(resolve, completion.delayMs) : undefined;
          void completion.heldUntil?.then(() => resolve());
          response.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
        });
        if (response.destroyed) return;
      }
      const promptTokens = Math.ceil(body.messages.reduce((sum, message) => sum + message.content.length, 0) / 4);
      const completionTokens = Math.ceil(completion.content.length / 4);
      sendJson(response, 200, {
        id: `chatcmpl-${requests.length}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: completion.content,
              ...(completion.reasoning ? { reasoning_content: completion.reasoning } : {}),
            },
            finish_reason: 'stop',
          },
        ],
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          total_tokens: promptTokens + completionTokens,
        },
      });
    });
  });
  const { port, close } = await listenOnLoopback(server);

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    requestsFor: (phrase) =>
      requests.filter((recorded) =>
        recorded.body.messages.find((message) => message.role === 'user')?.content.includes(phrase),
      ),
    failNext: (status, times = 1) => {
      for (let i = 0; i < times; i += 1) failures.push(status);
    },
    stallNext: () => failures.push('stall'),
    close,
  };
}

/** A completion as mem-agent writes it under vLLM: thoughts, only the closing `</think>`, then the action. */
export function act(thought: string, code: string): string {
  return `${thought}\n</think>\n\n<python>\n${code}\n</python>`;
}

export function answer(thought: string, reply: string): string {
  return `${thought}\n</think>\n\n<python></python>\n\n<reply>\n${reply}\n</reply>`;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
