import { Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestAuthOf } from '../auth/auth.hook';
import { AppConfig } from '../config/config.types';
import { MCP_PATH } from '../mcp/mcp-http.endpoint';
import { EngramMetrics } from '../metrics/engram-metrics';

/** Tool names are ours (`memory_store`); anything else a client sends is logged as `invalid`. */
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Times every request for `http_request_duration_seconds` and writes one structured access line (at
 * ENGRAM_ACCESS_LOG_LEVEL): who (principal, namespace, client address through the trusted proxies),
 * what (method, route pattern, MCP tool), and how it went (status, duration). Labels and lines use the
 * route pattern, never the raw URL: ids stay out of labels, and query strings (which may carry a key)
 * and bodies (memory content) stay out of logs.
 */
export function registerRequestObserver(fastify: FastifyInstance, config: AppConfig, metrics: EngramMetrics): void {
  const logger = new Logger('HTTP');
  const level = config.log.accessLevel;
  fastify.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.httpRequestDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, seconds);
    if (level === 'off') return;
    const line = accessLine(request, reply, route);
    if (level === 'debug') logger.debug(line);
    else logger.log(line);
  });
}

function accessLine(request: FastifyRequest, reply: FastifyReply, route: string): Record<string, unknown> {
  const auth = requestAuthOf(request);
  const principal = auth?.principal;
  return {
    msg: 'request',
    reqId: request.id,
    method: request.method,
    route,
    status: reply.statusCode,
    durationMs: Math.round(reply.elapsedTime * 100) / 100,
    clientAddress: auth?.clientAddress,
    principal: principal && { kind: principal.kind, id: principal.id, name: principal.name },
    namespace: auth?.context?.namespace,
    mcpTool: route === MCP_PATH ? mcpToolName(request.body) : undefined,
  };
}

/** The tool of an MCP `tools/call` request body; undefined for anything else. */
function mcpToolName(body: unknown): string | undefined {
  const message = body as { method?: unknown; params?: { name?: unknown } } | undefined;
  if (message?.method !== 'tools/call') return undefined;
  const name = message.params?.name;
  return typeof name === 'string' && TOOL_NAME.test(name) ? name : 'invalid';
}
