import { Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EngramMetrics } from '../metrics/engram-metrics';

/**
 * Times every request for `http_request_duration_seconds` and writes one structured access-log line.
 * Labels and logs use the route pattern, never the raw URL: ids stay out of labels and query strings
 * (which may carry a key) stay out of logs.
 */
export function registerRequestObserver(fastify: FastifyInstance, metrics: EngramMetrics): void {
  const logger = new Logger('HTTP');
  fastify.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.httpRequestDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, seconds);
    logger.log({
      msg: 'request',
      reqId: request.id,
      method: request.method,
      route,
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
    });
  });
}
