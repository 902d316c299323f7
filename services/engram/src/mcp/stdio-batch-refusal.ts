import { Transform, TransformCallback } from 'node:stream';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';

const NEWLINE = 0x0a;
const INVALID_REQUEST = -32600;
export const STDIO_BATCH_REFUSED =
  'Invalid Request: JSON-RPC batches are not supported over stdio (protocol revisions from 2025-06-18 on have ' +
  'none): send each message on a line of its own';

/**
 * Lines of stdio input on their way to the SDK transport, a JSON-RPC batch (a JSON array) taken out and
 * answered with `refuse`: the SDK reads one message a line and dropped an array with a warning on stderr,
 * leaving the client waiting for answers that never came. Every other line passes unchanged.
 */
export class BatchRefusingLines extends Transform {
  /** A line not yet ended, as its chunks came: joined once at its newline, so a long line costs its length. */
  private partial: Buffer[] = [];

  constructor(private readonly refuse: (answers: JSONRPCMessage[]) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      const line = Buffer.concat([...this.partial, chunk.subarray(start, end + 1)]);
      this.partial = [];
      const answers = batchRefusals(line);
      if (answers) this.refuse(answers);
      else this.push(line);
      start = end + 1;
    }
    if (start < chunk.length) this.partial.push(chunk.subarray(start));
    done();
  }

  override _flush(done: TransformCallback): void {
    // An unended last line is the SDK's, as before (it reads only whole lines).
    if (this.partial.length > 0) this.push(Buffer.concat(this.partial));
    done();
  }
}

/**
 * The answers to a batch line: an Invalid Request for each request in it (so a client waiting for each
 * id has its answer), or one with a null id when it holds none (an empty batch, only notifications).
 * Undefined for any other line, a line that is not JSON included (the SDK reports that one).
 */
export function batchRefusals(line: Buffer): JSONRPCMessage[] | undefined {
  const text = line.toString('utf8');
  if (!text.trimStart().startsWith('[')) return undefined;
  let batch: unknown;
  try {
    batch = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(batch)) return undefined;
  const ids = batch.filter(isRequest).map((request) => request.id);
  const error = { code: INVALID_REQUEST, message: STDIO_BATCH_REFUSED };
  // JSON-RPC answers a request it cannot read with a null id, which the SDK's message type leaves out.
  const answer = (id: string | number | null) => ({ jsonrpc: '2.0', id, error }) as JSONRPCMessage;
  return ids.length > 0 ? ids.map(answer) : [answer(null)];
}

function isRequest(message: unknown): message is { id: string | number } {
  if (typeof message !== 'object' || message === null || !('method' in message) || !('id' in message)) return false;
  return typeof message.id === 'string' || typeof message.id === 'number';
}
