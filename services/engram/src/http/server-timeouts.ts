import type { Server } from 'node:http';
import type { FastifyHttpOptions } from 'fastify';
import type { HttpTimeouts } from '../config/config.types';

/** Node's own interval between its looks for requests past their time. */
const NODE_CHECK_INTERVAL_MS = 30_000;

/**
 * The fastify options that give an HTTP server (the api's, the worker's) the configured timeouts. Node
 * looks for late requests only every connectionsCheckingInterval, 30 s by default: a 5 s headers timeout
 * would then answer after up to 35 s. Looking four times per timeout answers within 1.25 times it.
 */
export function serverTimeoutOptions({
  headersMs,
  requestMs,
}: HttpTimeouts): Pick<FastifyHttpOptions<Server>, 'requestTimeout' | 'http'> {
  return {
    // Fastify sets the server's requestTimeout from its own option once the server exists.
    requestTimeout: requestMs,
    http: {
      headersTimeout: headersMs,
      requestTimeout: requestMs,
      connectionsCheckingInterval: Math.min(NODE_CHECK_INTERVAL_MS, Math.ceil(headersMs / 4)),
    },
  };
}
