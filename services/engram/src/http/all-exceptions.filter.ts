import { ArgumentsHost, Catch, ExceptionFilter, Inject, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { EngramMetrics } from '../metrics/engram-metrics';
import { ErrorBody, retryAfterOf, toErrorResponse } from '../common/error-response';
import { MCP_PATH } from '../mcp/mcp-http.endpoint';
import { bodyTooLargeMessage, drainsRefusedBody, isBodyTooLarge } from './body-limits';
import { BodyNotJson } from './json-body.parser';

/** Every error raised in a Nest handler, pipe or guard leaves as `{error, message, details?}`. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(
    private readonly metrics: EngramMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const { status, body: answer } = toErrorResponse(exception);
    const tooLarge = isBodyTooLarge(exception);
    const body = tooLarge ? { ...answer, message: bodyTooLargeMessage(request) } : answer;
    if (tooLarge && drainsRefusedBody(request, this.config.limits)) void reply.removeHeader('connection');
    if (status === 500) {
      this.logger.error({ msg: 'unhandled error', reqId: request.id, error: describe(exception) });
    }
    const retryAfter = retryAfterOf(exception, status);
    if (retryAfter !== undefined) void reply.header('Retry-After', retryAfter);
    if (body.error === 'database_busy') this.metrics.databaseBusy.inc({ surface: 'http' });
    const mcpBodyRefused = request.routeOptions?.url === MCP_PATH && [400, 413, 415].includes(status);
    void reply.status(status).send(mcpBodyRefused ? jsonRpcError(exception, body) : body);
  }
}

/**
 * A body /mcp cannot take (not JSON, too large, a __proto__ key) is answered as the MCP clients there
 * read errors: a JSON-RPC error, Parse error (-32700) for a body that is not JSON, else Invalid Request.
 */
function jsonRpcError(exception: unknown, body: ErrorBody) {
  const code = exception instanceof BodyNotJson ? -32700 : -32600;
  return { jsonrpc: '2.0', id: null, error: { code, message: body.message } };
}

export function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
