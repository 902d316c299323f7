import type { FastifyError, FastifyHttpOptions, FastifyReply, FastifyRequest } from 'fastify';
import type { Server } from 'node:http';
import { AppConfig } from '../config/config.types';
import { smallBodyBytes } from './body-limits';
import { answerClientError } from './client-error.handler';
import { requestId } from './request-id';
import { serverTimeoutOptions } from './server-timeouts';

/** The longest path parameter a route takes: a job id is up to 200 characters. */
const MAX_PARAM_LENGTH = 256;

/**
 * The fastify options both HTTP servers (the api's, the worker's) are built with, so a client meets the
 * same limits and the same error answers on either port.
 */
export function serverOptions(config: AppConfig): FastifyHttpOptions<Server> {
  return {
    // Every route reads a small body unless it declares a large one (body-limits.ts).
    bodyLimit: smallBodyBytes(config.limits),
    ...serverTimeoutOptions(config.http.timeouts),
    genReqId: requestId,
    requestIdHeader: false,
    trustProxy: false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // A request Node's parser refuses (headers over its limit, a malformed request line): answered in the
    // API's error shape, never inside a response already under way on the connection.
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
  };
}

/**
 * A URL the router cannot decode (`/api/memories/%FF`) or a parameter past MAX_PARAM_LENGTH: answered in
 * the API's own error shape, as every other client mistake is (fastify's own answer quotes the URL).
 */
function answerFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
  void reply.code(tooLong ? 414 : 400).send({
    error: tooLong ? 'uri_too_long' : 'bad_request',
    message: tooLong
      ? `A path segment is longer than ${MAX_PARAM_LENGTH} characters`
      : 'The URL path is not valid (a bad % escape)',
  });
}
