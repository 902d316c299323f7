import { request as httpRequest } from 'node:http';
import { connect, Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: any;
}

/**
 * One HTTP request with the path sent byte for byte as given (`fetch` would normalise it: drop a `#…`
 * suffix, resolve dot segments), for tests of what the server makes of hostile request lines.
 */
export function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  {
    headers = {},
    body,
    signal,
  }: { headers?: Record<string, string>; body?: string | Buffer; signal?: AbortSignal } = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ hostname, port, method, path, headers, signal }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        // An answer to HEAD has the JSON content type and no body.
        const json = response.headers['content-type']?.includes('application/json') && text !== '';
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          text,
          body: json ? JSON.parse(text) : text,
        });
      });
      response.on('error', reject);
    });
    request.once('error', reject);
    request.end(body);
  });
}

/**
 * `request` written byte for byte on a new TCP connection (a malformed request line, headers over the
 * server's limit: what no HTTP client sends), resolving with everything received once the server closes
 * it. `then` sees what has come back so far and may return more bytes to write on the same connection.
 */
export function rawExchange(
  baseUrl: string,
  request: string,
  then?: (received: string) => string | undefined,
): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const next = then?.(received);
      if (next !== undefined) socket.write(next);
    });
    // A server closing the connection while a long request still arrives resets it: that is expected.
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(received));
    socket.write(request);
  });
}

/**
 * A request written a part at a time, `gapMs` apart, on a new TCP connection (a slow client, or one holding
 * connections open on purpose), resolving with everything received once the server closes it; parts left
 * when it does are never sent. End the request with `Connection: close`, or a server that answers it keeps
 * the connection open.
 */
export function trickledExchange(baseUrl: string, parts: readonly string[], gapMs: number): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    let sent = 0;
    const writeNext = () => {
      if (sent < parts.length && socket.writable) socket.write(parts[sent++]);
      else clearInterval(trickle);
    };
    const trickle = setInterval(writeNext, gapMs);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(trickle);
      resolve(received);
    });
    writeNext();
  });
}

/**
 * A GET as 42 parts, its request line then one header line a part: sent 200 ms apart (trickledExchange),
 * it takes 8 s, well within Node's default 60 s for headers (then it is served, and the connection closed)
 * and well past a headers timeout of a few seconds.
 */
export function slowHeaderParts(path: string): string[] {
  const lines = Array.from({ length: 40 }, (_, i) => `X-Slow-${i}: ${i}\r\n`);
  return [`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n`, ...lines, '\r\n'];
}

/** The one HTTP/1.1 response `received` holds, with its JSON body parsed. */
export function rawAnswer(received: string): { status: number; header(name: string): string | undefined; body: any } {
  const [head, body] = received.split('\r\n\r\n', 2);
  const [statusLine, ...lines] = head.split('\r\n');
  const header = (name: string) =>
    lines
      .find((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`))
      ?.slice(name.length + 1)
      .trim();
  return { status: Number(statusLine.split(' ')[1]), header, body: JSON.parse(body) };
}

export interface UploadOutcome {
  /** Everything the server sent before the connection closed. */
  received: string;
  /** Body bytes the client got written before it closed. */
  sent: number;
  /** Whether the connection ended in a reset (ECONNRESET, EPIPE) rather than a close. */
  reset: boolean;
}

/**
 * A POST whose body never ends (`Content-Length: declared`, never reached, or chunked), written as fast as
 * the connection takes it until the server closes it: `opening` (a multipart form's head, say), then `a`s.
 * The client keeps sending after the server's FIN, as an uploader that reads its answer only at the end
 * does; `rawAnswer` reads what it received.
 */
export function endlessUpload(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
  framing: { contentLength: number } | 'chunked',
  opening = Buffer.alloc(0),
): Promise<UploadOutcome> {
  const head = {
    ...headers,
    ...(framing === 'chunked'
      ? { 'transfer-encoding': 'chunked' }
      : { 'content-length': String(framing.contentLength) }),
  };
  const part = Buffer.alloc(64 * 1024, 'a');
  const chunk = (data: Buffer) =>
    framing === 'chunked'
      ? Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')])
      : data;
  const frame = chunk(part);
  return upload(baseUrl, path, head, (socket, written) => {
    if (opening.length > 0) socket.write(chunk(opening));
    const sendMore = () => {
      while (socket.writable && socket.write(frame)) written(part.length);
    };
    socket.on('drain', sendMore);
    sendMore();
  });
}

/**
 * A POST declaring `declared` bytes of body and sending only `first` of it (none by default) until the
 * server's answer has arrived in full (`Content-Length` bytes of it); then `more` bytes of the body, and the
 * end of its side of the connection.
 */
export function uploadAfterAnswer(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
  declared: number,
  more: number,
  first = Buffer.alloc(0),
): Promise<UploadOutcome> {
  return upload(baseUrl, path, { ...headers, 'content-length': String(declared) }, (socket, written, answered) => {
    if (first.length > 0) socket.write(first, () => written(first.length));
    void answered.then(async () => {
      const part = Buffer.alloc(64 * 1024, 'a');
      for (let sent = 0; sent < more && socket.writable; sent += part.length) {
        await new Promise((resolve) => socket.write(part, resolve));
        written(part.length);
      }
      socket.end();
    });
  });
}

function upload(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
  sendBody: (socket: Socket, written: (bytes: number) => void, answered: Promise<void>) => void,
): Promise<UploadOutcome> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect({ port: Number(port), host: hostname, allowHalfOpen: true });
    let received = '';
    let sent = 0;
    let reset = false;
    let answer: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (answerIsComplete(received)) answer();
    });
    socket.on(
      'error',
      (error: NodeJS.ErrnoException) => (reset ||= ['ECONNRESET', 'EPIPE'].includes(error.code ?? '')),
    );
    socket.on('close', () => resolve({ received, sent, reset }));
    const lines = Object.entries({ host: hostname, ...headers }).map(([name, value]) => `${name}: ${value}\r\n`);
    socket.write(`POST ${path} HTTP/1.1\r\n${lines.join('')}\r\n`);
    sendBody(socket, (bytes) => (sent += bytes), answered);
  });
}

/** Whether `received` holds a response's head and all the body its Content-Length announces. */
function answerIsComplete(received: string): boolean {
  const end = received.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const length = /\r\ncontent-length: *(\d+)/i.exec(received.slice(0, end))?.[1];
  return length !== undefined && received.length - end - 4 >= Number(length);
}
