import { PassThrough, Readable, Writable } from 'node:stream';
import type { JSONRPCMessage, MessageExtraInfo, Transport } from '@modelcontextprotocol/server';
import { isJSONRPCErrorResponse, isJSONRPCResultResponse } from '@modelcontextprotocol/server';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { requestIdKey } from './mcp-call';
import { invalidParamsAnswer, invalidParamsOf } from './mcp-request-params';
import { DEFAULT_STDIO_LINE_BYTES, StdioLineGuard } from './stdio-line-guard';
import { StdioListens } from './stdio-listens';

type RequestId = string | number;

/**
 * stdio that answers every request it received before it closes. The SDK's stdio transport closes on
 * end of input and abandons requests still running, so `printf '…3 requests…' | engram mcp` got fewer
 * answers than requests. Here end of input is held back from the SDK transport until each request has
 * its response (or was cancelled by the client, which then expects none).
 */
export class AnsweringStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  /** Resolves once the connection is over (input ended and everything answered, or closed). */
  readonly closed: Promise<void>;
  /** The connection's listen subscriptions, which the resource feed names when events were lost. */
  readonly listens = new StdioListens();

  private readonly inner: StdioServerTransport;
  private readonly gate = new PassThrough();
  private readonly lines: StdioLineGuard;
  private readonly unanswered = new Set<string>();
  private inputEnded = false;
  private markClosed!: () => void;

  constructor(
    private readonly input: Readable = process.stdin,
    output: Writable = process.stdout,
    maxLineBytes = DEFAULT_STDIO_LINE_BYTES,
  ) {
    this.lines = new StdioLineGuard(maxLineBytes, (answers) => this.answerHere(answers));
    // Every line reaching it is at most the limit and its newline, however large the SDK's default.
    this.inner = new StdioServerTransport(this.gate, output, { maxBufferSize: maxLineBytes + 1 });
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
  }

  async start(): Promise<void> {
    this.inner.onmessage = (message) => {
      this.noteInbound(message);
      this.listens.noteInbound(message);
      // Answered here, as at /mcp: the SDK would call such params an Internal error (mcp-request-params.ts).
      const problem = invalidParamsOf(message);
      if (problem === undefined) this.onmessage?.(message);
      else void this.send(invalidParamsAnswer(message, problem)).catch((error) => this.onerror?.(error));
    };
    this.inner.onerror = (error) => this.onerror?.(error);
    this.inner.onclose = () => {
      this.markClosed();
      this.onclose?.();
    };
    await this.inner.start();
    this.input.pipe(this.lines).pipe(this.gate, { end: false });
    this.lines.once('end', () => {
      this.inputEnded = true;
      // After the lines still passing through the gate have reached the SDK transport as requests.
      setImmediate(() => this.endWhenAnswered());
    });
  }

  async send(message: JSONRPCMessage): Promise<void> {
    await this.inner.send(message);
    this.listens.noteOutbound(message);
    if ((isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) && message.id !== undefined) {
      this.unanswered.delete(requestIdKey(message.id));
      this.endWhenAnswered();
    }
  }

  async close(): Promise<void> {
    this.input.unpipe(this.lines);
    this.lines.unpipe(this.gate);
    await this.inner.close();
  }

  /** Answered before end of input is let through: each refused request counts as unanswered until then. */
  private answerHere(answers: JSONRPCMessage[]): void {
    for (const answer of answers) {
      if ('id' in answer && answer.id !== null && answer.id !== undefined) this.unanswered.add(requestIdKey(answer.id));
      void this.send(answer).catch((error) => this.onerror?.(error));
    }
  }

  private noteInbound(message: JSONRPCMessage): void {
    if (!('method' in message)) return;
    if ('id' in message) this.unanswered.add(requestIdKey(message.id));
    else if (message.method === 'notifications/cancelled') {
      const requestId = (message.params as { requestId?: RequestId } | undefined)?.requestId;
      if (requestId !== undefined) this.unanswered.delete(requestIdKey(requestId));
      this.endWhenAnswered();
    }
  }

  private endWhenAnswered(): void {
    if (this.inputEnded && this.unanswered.size === 0 && !this.gate.writableEnded) this.gate.end();
  }
}
