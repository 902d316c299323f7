import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidInput } from '../common/domain-errors';

/** Methods whose body fastify never reads (RFC 9110 gives it no meaning): no route sees one. */
const BODYLESS_METHODS = new Set(['GET', 'HEAD']);

/**
 * Refuses a GET or HEAD that carries a body: fastify never reads one, so filters sent as a body
 * (`GET /api/memories` with `{"tags": ["work"]}`) were ignored and the client got unfiltered results as if
 * they had been applied. The check is on the request's framing, for every route (the dashboard, /mcp and
 * the OAuth documents too): `Content-Length: 0` and a Content-Type with no body still pass, and a chunked
 * body passes only when it ends before its first byte. Bodies of other methods are the handlers' to refuse
 * (UnreadBodyGuard).
 */
export function registerBodylessMethodCheck(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', async (request: FastifyRequest) => {
    if (!BODYLESS_METHODS.has(request.method) || !(await carriesBody(request.raw))) return;
    const route = request.routeOptions.url;
    throw new InvalidInput(
      `${request.method}${route ? ` ${route}` : ''} takes no request body: put its parameters in the query string and send no body`,
    );
  });
}

/** Whether the request has at least one byte of body, as its framing says (RFC 9112 §6.3). */
async function carriesBody(raw: IncomingMessage): Promise<boolean> {
  const length = raw.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  if (raw.headers['transfer-encoding'] === undefined) return false;
  return firstChunkArrives(raw);
}

/**
 * A chunked body is empty when it ends before any data. Whatever follows the first chunk is left to
 * Node, which drains a body nobody read once the answer is sent.
 */
function firstChunkArrives(raw: IncomingMessage): Promise<boolean> {
  return new Promise((resolve) => {
    const settle = (sent: boolean) => {
      raw.off('data', onData).off('end', onEnd).off('close', onEnd);
      resolve(sent);
    };
    const onData = () => settle(true);
    const onEnd = () => settle(false);
    raw.on('data', onData).on('end', onEnd).on('close', onEnd);
  });
}
