import { request as httpRequest, IncomingMessage } from 'node:http';

/** One dispatched SSE message: `event` is undefined for frames without an `event:` line (onmessage). */
export interface SseFrame {
  id?: string;
  event?: string;
  data: string;
}

/** A real SSE client over node:http that records every frame and comment it receives. */
export interface SseClient {
  status: number;
  headers: IncomingMessage['headers'];
  /** The response body when the stream was refused (status other than 200). */
  body: string;
  frames: SseFrame[];
  comments: string[];
  /** Resolves with the frames once `predicate` holds; rejects after `timeoutMs`, listing what arrived. */
  waitFor(predicate: (frames: SseFrame[]) => boolean, timeoutMs?: number): Promise<SseFrame[]>;
  /** Resolves when the server ends or drops the stream. */
  ended: Promise<void>;
  close(): void;
  /** The frames that carry an `event:` line, their data parsed. */
  named(): { id?: string; event: string; data: any }[];
}

export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      res.setEncoding('utf8');
      const frames: SseFrame[] = [];
      const comments: string[] = [];
      const waiters = new Set<() => void>();
      let buffer = '';
      let body = '';
      const ended = new Promise<void>((done) => {
        res.once('close', done);
        res.once('error', () => done());
      });
      res.on('data', (chunk: string) => {
        if (res.statusCode !== 200) {
          body += chunk;
          return;
        }
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          parseBlock(block, frames, comments);
        }
        for (const wake of waiters) wake();
      });
      res.on('error', () => undefined);
      const client: SseClient = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        body: '',
        frames,
        comments,
        ended,
        close: () => req.destroy(),
        named: () =>
          frames
            .filter((frame) => frame.event !== undefined)
            .map((frame) => ({ id: frame.id, event: frame.event!, data: JSON.parse(frame.data) })),
        waitFor(predicate, timeoutMs = 5000) {
          return new Promise((done, fail) => {
            const check = () => {
              if (!predicate(frames)) return;
              cleanup();
              done(frames);
            };
            const timer = setTimeout(() => {
              cleanup();
              fail(new Error(`condition not met within ${timeoutMs} ms; frames: ${JSON.stringify(frames)}`));
            }, timeoutMs);
            const cleanup = () => {
              clearTimeout(timer);
              waiters.delete(check);
            };
            waiters.add(check);
            check();
          });
        },
      };
      if (res.statusCode === 200) resolve(client);
      else res.once('end', () => resolve({ ...client, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

function parseBlock(block: string, frames: SseFrame[], comments: string[]): void {
  const frame: SseFrame = { data: '' };
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) comments.push(line.slice(1).trim());
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const field = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') frame.id = value;
    else if (field === 'event') frame.event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return; // comments and retry lines dispatch nothing
  frame.data = data.join('\n');
  frames.push(frame);
}

/**
 * Whether a stream's `id:` lines (its position: one id per namespace it reads, joined by '-') each move
 * exactly one part forward and keep the others, as each event advances only its own namespace's.
 */
export function positionsRise(ids: readonly string[]): boolean {
  const positions = ids.map((id) => id.split('-').map(Number));
  return positions.every((position, i) => {
    if (i === 0) return true;
    const moved = position.filter((part, n) => part !== positions[i - 1][n]);
    return moved.length === 1 && position.every((part, n) => part >= positions[i - 1][n]);
  });
}
