import { Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorResponse, retryAfterOf, toErrorResponse } from '../common/error-response';
import { LimitsConfig } from '../config/config.types';
import { bodyTooLargeMessage, drainsRefusedBody, isBodyTooLarge } from './body-limits';
import { closeAfterAnswer } from './lingering-close';

const logger = new Logger('Errors');

/**
 * Readies `reply` to answer anything thrown while serving `request` (status, Retry-After, whether a
 * refused body is drained) and returns the answer `{error, message, details?}` for the caller to send:
 * the api's exception filter and the worker's error handler both answer through it. A 500 says nothing
 * more to the client; its cause goes to the log with the request id.
 */
export function prepareErrorReply(
  exception: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  limits: LimitsConfig,
): ErrorResponse {
  const { status, body } = toErrorResponse(exception);
  if (status === 500) logger.error({ msg: 'unhandled error', reqId: request.id, error: describe(exception) });
  const retryAfter = retryAfterOf(exception, status);
  if (retryAfter !== undefined) void reply.header('Retry-After', retryAfter);
  void reply.status(status);
  if (!isBodyTooLarge(exception)) {
    if (status === 413 && !request.raw.complete) closeUploadAfterAnswer(request, reply);
    return { status, body };
  }
  // A body over its limit is read to its end when that is bounded, else its connection closes after the 413.
  if (drainsRefusedBody(request, limits)) void reply.removeHeader('connection');
  else closeAfterAnswer(request.raw);
  return { status, body: { ...body, message: bodyTooLargeMessage(request, limits) } };
}

/**
 * A body refused part way through (a multipart upload over ENGRAM_IMPORT_MAX_UPLOAD_BYTES, found so only once
 * that much of it is read) leaves the client still sending: its connection closes as a body over the route's
 * limit does, after the 413 and what is in flight, so the client reads the answer rather than a reset.
 */
function closeUploadAfterAnswer(request: FastifyRequest, reply: FastifyReply): void {
  void reply.header('connection', 'close');
  closeAfterAnswer(request.raw);
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
