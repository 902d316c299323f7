import { HttpException } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SMALL_BODY_BYTES } from '../common/request-body-size';
import { LimitsConfig } from '../config/config.types';

/** What every route reads unless it declares a large body; ENGRAM_MAX_BODY_BYTES caps it too. */
export function smallBodyBytes(limits: LimitsConfig): number {
  return Math.min(SMALL_BODY_BYTES, limits.maxBodyBytes);
}

/** Routes declared with @LargeBody (or LARGE_BODY_ROUTE_CONFIG) read up to ENGRAM_MAX_BODY_BYTES. */
export function registerBodyLimits(fastify: FastifyInstance, limits: LimitsConfig): void {
  fastify.addHook('onRoute', (route) => {
    if (route.config?.largeBody) route.bodyLimit ??= limits.maxBodyBytes;
  });
}

/** Fastify's refusal of a body over the route's limit, before any handler ran (Nest wraps it as the cause). */
export function isBodyTooLarge(error: unknown): boolean {
  const fastifyError = error instanceof HttpException ? error.cause : error;
  return (fastifyError as { code?: unknown })?.code === 'FST_ERR_CTP_BODY_TOO_LARGE';
}

/**
 * The 413's message names the limit of the route the body was sent to, or ENGRAM_MAX_BODY_BYTES when that
 * is what set it (set below 64 KiB, it is every route's limit).
 */
export function bodyTooLargeMessage(request: FastifyRequest, limits: LimitsConfig): string {
  const { bodyLimit, config, url } = request.routeOptions;
  // A request no route matched has no route to name.
  const route = url === undefined ? 'this server' : `${request.method} ${url}`;
  return config?.largeBody || bodyLimit === limits.maxBodyBytes
    ? `Request body is larger than ${bodyLimit} bytes, the configured limit (ENGRAM_MAX_BODY_BYTES)`
    : `Request body is larger than ${bodyLimit} bytes, the limit of ${route} (only routes that carry memory content, files or MCP calls take up to ENGRAM_MAX_BODY_BYTES)`;
}

/**
 * Whether a refused body is read to its end and dropped rather than its connection closed (fastify's way):
 * a client still sending would get a reset instead of the 413. Only for a body declared no larger than
 * ENGRAM_MAX_BODY_BYTES, what a large route reads anyway; a larger or unsized one still closes.
 */
export function drainsRefusedBody(request: FastifyRequest, limits: LimitsConfig): boolean {
  const declared = Number(request.headers['content-length']);
  return Number.isSafeInteger(declared) && declared <= limits.maxBodyBytes;
}
