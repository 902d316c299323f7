import type { HealthCheckResult } from '@nestjs/terminus';
import Fastify, { FastifyInstance } from 'fastify';
import { registerAuthHook } from '../auth/auth.hook';
import { Authenticator } from '../auth/authenticator';
import { FailureLimiter } from '../auth/failure-limiter';
import { routeAccess } from '../auth/route-access';
import { AppConfig } from '../config/config.types';
import { prepareErrorReply } from '../http/error-reply';
import { registerJsonBodyParser } from '../http/json-body.parser';
import { registerRequestChecks, registerRequestIdHeader } from '../http/request-checks';
import { registerRequestObserver } from '../http/request-observer.hook';
import { serverOptions } from '../http/server-options';
import { EngramMetrics } from '../metrics/engram-metrics';

export interface WorkerProbes {
  /**
   * Terminus's report of the readiness checks (database, queue) when all are up; when one is down, the
   * ServiceUnavailableException terminus throws with the same report, as the api's /health/ready does.
   */
  ready(): Promise<HealthCheckResult>;
  metrics(): Promise<{ contentType: string; body: string }>;
}

export interface WorkerHttpDeps {
  authenticator: Authenticator;
  limiter: FailureLimiter;
  metrics: EngramMetrics;
}

/**
 * The worker's small HTTP face: /health/live (open), /health/ready and /metrics, authenticated exactly
 * as the api is (the same hook: MCP_API_KEY and stored keys, the failure limiter, trusted proxies, the
 * access log). Both answer figures about the whole store, so they need a credential not bound to a
 * namespace; /metrics is open with METRICS_PUBLIC. Nothing else is served. A request meets the api's
 * rules (server-options.ts, request-checks.ts): its limits, timeouts, body checks and error answers.
 */
export async function startWorkerHttpServer(
  config: AppConfig,
  probes: WorkerProbes,
  deps: WorkerHttpDeps,
  host: string,
): Promise<FastifyInstance> {
  const fastify = Fastify(serverOptions(config));
  registerJsonBodyParser(fastify);
  registerRequestChecks(fastify);
  registerAuthHook(fastify, config, deps.authenticator, deps.limiter);
  registerRequestObserver(fastify, config, deps.metrics);
  registerRequestIdHeader(fastify);
  fastify.setErrorHandler((error, request, reply) =>
    reply.send(prepareErrorReply(error, request, reply, config.limits).body),
  );
  fastify.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: 'not_found', message: `No route ${request.method} ${request.url.slice(0, 200)}` }),
  );

  fastify.get('/health/live', { config: routeAccess('public') }, async () => ({ status: 'ok' }));
  // A failed check is thrown as terminus throws it in the api: the one error mapping answers both alike.
  fastify.get('/health/ready', { config: routeAccess('read', { wholeStore: true }) }, () => probes.ready());
  const metricsAccess = routeAccess(config.metrics.public ? 'public' : 'read', { wholeStore: true });
  fastify.get('/metrics', { config: metricsAccess }, async (_request, reply) => {
    const { contentType, body } = await probes.metrics();
    return reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
  });

  await fastify.listen({ port: config.worker.httpPort, host });
  return fastify;
}
