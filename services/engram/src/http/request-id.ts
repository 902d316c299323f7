import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Reuses a caller's X-Request-Id when it is a short, safe token (for tracing across hops); else a UUID. */
export function requestId(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && /^[\w.:-]{1,64}$/.test(incoming) ? incoming : randomUUID();
}
