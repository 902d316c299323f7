import { IncomingMessage, maxHeaderSize, ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { ErrorResponse } from '../common/error-response';

/** What Node's HTTP parser or its timers report for a request no route will see. */
interface ClientError extends Error {
  code?: string;
  /** llhttp's fixed words for what is wrong ("Invalid method encountered"); never the request's bytes. */
  reason?: string;
}

/**
 * Answers a request Node refuses before fastify routes it (a request line and headers over Node's
 * limit, a malformed request line or header, a request that took too long to arrive) in the API's error
 * shape, then closes the connection, as Node's parser cannot go on reading it. Fastify's own answer
 * names no code and is written even into a response already under way on the connection (an event
 * stream, with a request pipelined behind it), which would corrupt that response.
 */
export function answerClientError(error: ClientError, socket: Socket): void {
  // The client reset or closed the connection: there is no one to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable && !responseUnderWay(socket)) socket.write(rawResponse(clientErrorResponse(error)));
  socket.destroy();
}

/**
 * Answers a CONNECT (a proxy tunnel request), which Node hands to no route: without this its connection was
 * closed without a word. Engram is no proxy, so it is 405 in the API's error shape, and the connection closes.
 */
export function answerTunnelRequest(_request: IncomingMessage, socket: Duplex): void {
  const message = 'CONNECT is not served: Engram is not a proxy';
  if (socket.writable) socket.write(rawResponse({ status: 405, body: { error: 'method_not_allowed', message } }));
  socket.destroy();
}

function clientErrorResponse(error: ClientError): ErrorResponse {
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    const message = `The request line and headers are larger than ${maxHeaderSize} bytes: send fewer or shorter headers`;
    return { status: 431, body: { error: 'header_too_large', message } };
  }
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 408, body: { error: 'request_timeout', message: 'The request did not arrive in full in time' } };
  }
  const reason = error.reason ? ` (${error.reason})` : '';
  return { status: 400, body: { error: 'bad_request', message: `The request is not valid HTTP${reason}` } };
}

/** Node's own check before it answers a parse error: the in-flight response has begun to be sent. */
function responseUnderWay(socket: Socket): boolean {
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  return inFlight?.headersSent === true;
}

function rawResponse({ status, body }: ErrorResponse): string {
  const json = JSON.stringify(body);
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(json)}`,
    'Connection: close',
    '',
    json,
  ].join('\r\n');
}
