import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EngramMetrics } from '../metrics/engram-metrics';
import { DomainError } from '../common/domain-errors';
import { toErrorResponse } from '../common/error-response';

/** Every error raised in a Nest handler, pipe or guard leaves as `{error, message, details?}`. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly metrics: EngramMetrics) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const { status, body } = toErrorResponse(exception);
    if (status === 500) {
      this.logger.error({ msg: 'unhandled error', reqId: request.id, error: describe(exception) });
    }
    const retryAfter = exception instanceof DomainError ? exception.retryAfterSeconds : undefined;
    if (retryAfter !== undefined) void reply.header('Retry-After', String(retryAfter));
    else if (status === 503) void reply.header('Retry-After', '5');
    if (body.error === 'database_busy') this.metrics.databaseBusy.inc({ surface: 'http' });
    void reply.status(status).send(body);
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
