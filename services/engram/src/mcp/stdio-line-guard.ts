import { Transform, TransformCallback } from 'node:stream';
import { parseJSONRPCMessage } from '@modelcontextprotocol/server';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';

const NEWLINE = 0x0a;
const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
/** Bytes kept from each end of a line skipped for its length: enough for the id a request puts there. */
const EDGE_BYTES = 256;
/** The largest line read when no limit is configured (the bridge): ENGRAM_MAX_BODY_BYTES's default. */
export const DEFAULT_STDIO_LINE_BYTES = 16 * 1024 * 1024;

export const STDIO_BATCH_REFUSED =
  'Invalid Request: JSON-RPC batches are not supported over stdio (protocol revisions from 2025-06-18 on have ' +
  'none): send each message on a line of its own';
export const STDIO_NOT_JSON = 'Parse error: a line of input is not JSON; send one JSON-RPC message a line';
export const STDIO_NOT_A_MESSAGE =
  'Invalid Request: a line of input is JSON but not a JSON-RPC 2.0 message (jsonrpc "2.0", a method or a result)';
export const stdioLineTooLong = (maxBytes: number) =>
  `Invalid Request: a line of input over ${maxBytes} bytes was skipped unread; send less in one message`;

type Id = string | number | null;

/**
 * Lines of stdio input on their way to the SDK transport, each line the SDK would not answer taken out and
 * answered with `answer`: the SDK skipped a line that is not JSON and dropped a batch (a JSON array) or a
 * malformed message with a warning, leaving the client waiting; a line over the limit made it close the
 * whole session. Every other line passes unchanged, one line a chunk.
 */
export class StdioLineGuard extends Transform {
  /** A line not yet ended, as its chunks came: joined once at its newline, so a long line costs its length. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** Set while the rest of a line over the limit is skipped: its first and latest bytes, where ids are. */
  private skipping: { head: Buffer; tail: Buffer } | undefined;

  constructor(
    private readonly maxLineBytes: number,
    private readonly answer: (answers: JSONRPCMessage[]) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline + 1;
      this.takePiece(chunk.subarray(start, end), newline !== -1);
      start = end;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    // An unended last line is the SDK's, as before (it reads only whole lines); one over the limit is answered.
    if (this.skipping) this.answerSkipped();
    else if (this.partial.length > 0) this.push(Buffer.concat(this.partial));
    done();
  }

  private takePiece(piece: Buffer, ended: boolean): void {
    if (this.skipping) {
      this.skipping.tail = lastBytes(Buffer.concat([this.skipping.tail, piece]));
      if (ended) this.answerSkipped();
      return;
    }
    const lineBytes = this.partialBytes + piece.length - (ended ? 1 : 0);
    if (lineBytes > this.maxLineBytes) {
      const head = Buffer.concat([...this.partial, piece.subarray(0, EDGE_BYTES)]).subarray(0, EDGE_BYTES);
      this.skipping = { head, tail: lastBytes(piece) };
      this.clearPartial();
      if (ended) this.answerSkipped();
      return;
    }
    if (!ended) {
      this.partial.push(piece);
      this.partialBytes += piece.length;
      return;
    }
    const line = Buffer.concat([...this.partial, piece]);
    this.clearPartial();
    const answers = lineAnswers(line);
    if (answers) this.answer(answers);
    else this.push(line);
  }

  private answerSkipped(): void {
    const { head, tail } = this.skipping!;
    this.skipping = undefined;
    this.answer([errorAnswer(edgeId(head, tail), INVALID_REQUEST, stdioLineTooLong(this.maxLineBytes))]);
  }

  private clearPartial(): void {
    this.partial = [];
    this.partialBytes = 0;
  }
}

/**
 * The answers to a line the SDK would leave unanswered, or undefined for a line it reads (and a blank one):
 * a Parse error for a line that is not JSON; for a batch an Invalid Request per request in it (one with a
 * null id when it holds none), nothing in it run; an Invalid Request for JSON that is no JSON-RPC message,
 * with its id when it has one. A malformed response is not answered (JSON-RPC answers only requests).
 */
export function lineAnswers(line: Buffer): JSONRPCMessage[] | undefined {
  const text = line.toString('utf8');
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [errorAnswer(null, PARSE_ERROR, STDIO_NOT_JSON)];
  }
  if (Array.isArray(value)) {
    const ids = value.filter(isRequest).map((request) => request.id);
    return ids.length > 0
      ? ids.map((id) => errorAnswer(id, INVALID_REQUEST, STDIO_BATCH_REFUSED))
      : [errorAnswer(null, INVALID_REQUEST, STDIO_BATCH_REFUSED)];
  }
  try {
    parseJSONRPCMessage(value);
    return undefined;
  } catch {
    if (isResponseShaped(value)) return undefined;
    return [errorAnswer(idOf(value), INVALID_REQUEST, STDIO_NOT_A_MESSAGE)];
  }
}

/** JSON-RPC answers a request it cannot read with a null id, which the SDK's message type leaves out. */
function errorAnswer(id: Id, code: number, message: string): JSONRPCMessage {
  return { jsonrpc: '2.0', id, error: { code, message } } as JSONRPCMessage;
}

function isRequest(message: unknown): message is { id: string | number } {
  return typeof message === 'object' && message !== null && 'method' in message && idOf(message) !== null;
}

function isResponseShaped(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !('method' in value) && ('result' in value || 'error' in value);
}

function idOf(value: unknown): Id {
  if (typeof value !== 'object' || value === null || !('id' in value)) return null;
  return typeof value.id === 'string' || typeof value.id === 'number' ? value.id : null;
}

/** An id or a short string, the only ids read from a skipped line's edges. */
const ID_VALUE = String.raw`(-?\d{1,16}|"[^"\\]{0,128}")`;
/** `{"id":…` or `{"jsonrpc":"2.0","id":…` opening the line: members of the top-level object. */
const LEADING_ID = new RegExp(String.raw`^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*${ID_VALUE}\s*[,}]`);
/** `…,"id":…}` closing the line (where the SDK's clients put it): the member before the top-level close. */
const TRAILING_ID = new RegExp(String.raw`[{,]\s*"id"\s*:\s*${ID_VALUE}\s*\}\s*$`);

/** The id of a line too long to read, when one of its edges shows it, so its sender learns which request failed. */
function edgeId(head: Buffer, tail: Buffer): Id {
  const found = LEADING_ID.exec(head.toString('utf8')) ?? TRAILING_ID.exec(tail.toString('utf8'));
  return found ? (JSON.parse(found[1]) as string | number) : null;
}

function lastBytes(buffer: Buffer): Buffer {
  return buffer.length > EDGE_BYTES ? Buffer.from(buffer.subarray(buffer.length - EDGE_BYTES)) : buffer;
}
