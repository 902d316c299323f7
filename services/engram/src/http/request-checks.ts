import type { FastifyInstance } from 'fastify';
import { registerBodylessMethodCheck } from './bodyless-method.hook';
import { answerTunnelRequest } from './client-error.handler';
import { registerRequestTextCheck } from './request-text.hook';

/**
 * The checks every request passes on both HTTP servers before a handler sees it: no NUL or lone
 * surrogate in its query or path (request-text.hook.ts), no body on a GET or HEAD (bodyless-method.hook.ts),
 * and no CONNECT, which never reaches the router.
 */
export function registerRequestChecks(fastify: FastifyInstance): void {
  registerRequestTextCheck(fastify);
  registerBodylessMethodCheck(fastify);
  fastify.server.on('connect', answerTunnelRequest);
}

/** Every answer names its request, as the access log line does (`reqId`). */
export function registerRequestIdHeader(fastify: FastifyInstance): void {
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
  });
}
