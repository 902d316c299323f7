import { ArgumentsHost, Catch, ExceptionFilter, Inject } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { EngramMetrics } from '../metrics/engram-metrics';
import { ErrorBody } from '../common/error-response';
import { MCP_PATH } from '../mcp/mcp-http.endpoint';
import { OAUTH_CLIENT_ENDPOINT_PATHS } from '../oauth/oauth.controller';
import { OAuthError } from '../oauth/oauth.errors';
import { prepareErrorReply } from './error-reply';
import { BodyNotJson } from './json-body.parser';

/** Every error raised in a Nest handler, pipe or guard leaves as `{error, message, details?}`. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(
    private readonly metrics: EngramMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const { status, body } = prepareErrorReply(exception, request, reply, this.config.limits);
    if (body.error === 'database_busy') this.metrics.databaseBusy.inc({ surface: 'http' });
    const route = request.routeOptions?.url ?? '';
    const bodyRefused = [400, 413, 415].includes(status);
    if (bodyRefused && route === MCP_PATH) return void reply.send(jsonRpcError(exception, body));
    if (bodyRefused && OAUTH_CLIENT_ENDPOINT_PATHS.includes(route)) return void sendOAuthError(reply, body);
    void reply.send(body);
  }
}

/**
 * A request an OAuth endpoint refused before its handler ran (a body that is not JSON or a form, too large,
 * of another type, a NUL in a field) is answered as the endpoint's own errors are: RFC 6749 §5.2's
 * `{error: "invalid_request", error_description}`, never cached.
 */
function sendOAuthError(reply: FastifyReply, body: ErrorBody): void {
  void reply
    .header('Cache-Control', 'no-store')
    .header('Pragma', 'no-cache')
    .send(new OAuthError('invalid_request', body.message).body);
}

/**
 * A body /mcp cannot take (not JSON, too large, a __proto__ key) is answered as the MCP clients there
 * read errors: a JSON-RPC error, Parse error (-32700) for a body that is not JSON, else Invalid Request.
 */
function jsonRpcError(exception: unknown, body: ErrorBody) {
  const code = exception instanceof BodyNotJson ? -32700 : -32600;
  return { jsonrpc: '2.0', id: null, error: { code, message: body.message } };
}
