import type { FastifyRequest } from 'fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig } from '../config/config.types';
import { AUTHORIZATION_ENDPOINT_PATH } from '../oauth/oauth.controller';

/** @fastify/cors's options, as Nest passes them on. */
type CorsOptions = NonNullable<Parameters<NestFastifyApplication['enableCors']>[0]>;

/**
 * How long a browser may reuse a preflight's answer (Access-Control-Max-Age, seconds): without it a browser
 * (Chromium) keeps it 5 s and repeats the OPTIONS before nearly every POST to /mcp. Ten minutes, not the
 * hours browsers would allow, so a changed MCP_CORS_ORIGINS reaches an open page soon.
 */
export const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * CORS for the browser origins of MCP_CORS_ORIGINS (`*`: any, without credentials). Only a preflight — an
 * OPTIONS with Origin and Access-Control-Request-Method — is answered as one (204, before authentication); any
 * other OPTIONS is routed as a method no route serves (404 `not_found`, its body checked as any body is), where
 * @fastify/cors answered a text/plain 400. WWW-Authenticate is readable so a browser MCP client finds the
 * OAuth metadata on a 401 and the scope to step up to on a 403; Retry-After so it knows when to retry.
 * The OAuth authorization endpoint never answers CORS (OAuth 2.1 §3.1): a client sends the user's browser
 * there, and a page allowed to read it could read the consent form.
 */
export function corsOptions(config: AppConfig): CorsOptions {
  const wildcard = config.http.corsOrigins.includes('*');
  const options: CorsOptions = {
    origin: wildcard ? '*' : config.http.corsOrigins,
    credentials: !wildcard,
    allowedHeaders: [
      'Authorization',
      'X-API-Key',
      'Content-Type',
      'X-Agent-ID',
      'X-Request-Id',
      'Last-Event-ID',
      'Mcp-Protocol-Version',
      'Mcp-Method',
      'Mcp-Name',
      'X-Engram-Namespace',
    ],
    exposedHeaders: ['X-Request-Id', 'WWW-Authenticate', 'Retry-After'],
    methods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
  };
  return {
    delegator: (request: FastifyRequest, callback: (error: Error | null, options: CorsOptions) => void) =>
      callback(
        null,
        isAuthorizationEndpoint(request) ? { origin: false } : { ...options, preflight: isPreflight(request) },
      ),
  };
}

function isAuthorizationEndpoint(request: FastifyRequest): boolean {
  return request.url.split('?')[0] === AUTHORIZATION_ENDPOINT_PATH;
}

function isPreflight(request: FastifyRequest): boolean {
  return request.headers.origin !== undefined && request.headers['access-control-request-method'] !== undefined;
}
