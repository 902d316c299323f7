import { AsyncResource } from 'node:async_hooks';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../common/domain-errors';
import { toErrorResponse } from '../common/error-response';
import { AppConfig } from '../config/config.types';
import { presentedApiKey } from './api-key.verifier';
import { Authenticator } from './authenticator';
import { FailureLimiter } from './failure-limiter';
import { chooseNamespace, NAMESPACE_HEADER } from './namespace';
import { Principal, runInContext } from './request-context';

/** Routes anyone may call: liveness and the minimal health answer, which hold no data. */
const PUBLIC_PATHS = ['/api/health', '/health/live'];

/** The event stream: EventSource cannot send headers, so it alone may carry the key as `?api_key=`. */
const QUERY_KEY_PATHS = new Set(['/api/events/stream', '/api/events']);

/** Wrong credentials allowed per client address per minute before it gets 429s. */
const FAILED_ATTEMPTS_PER_MINUTE = 30;

const ANONYMOUS: Principal = { kind: 'anonymous', id: 'anonymous', scopes: ['admin'] };

export interface AuthHookOptions {
  /** The dashboard's static files (GET/HEAD only): they hold no data, and the page must load to ask for the key. */
  publicFiles?: Iterable<string>;
  /** Further open paths (OAuth discovery, token and registration endpoints when OAuth is on). */
  openPaths?: Iterable<string>;
  /**
   * The 401 for a path when it differs from the API-key one (with OAuth on, /mcp points clients at its
   * protected-resource metadata); `tokenPresented` tells a refused credential from a missing one.
   */
  unauthorized?: (path: string, tokenPresented: boolean) => { challenge: string; message: string } | undefined;
}

/**
 * Deny by default: one hook in front of every route — REST, MCP, docs, metrics, and unknown paths
 * alike — so a route added later cannot forget its guard. It resolves the caller (principal) and the
 * namespace, and runs the rest of the request inside that context; scopes are checked per route (REST
 * guard) and per tool (MCP catalog). CORS preflights pass; the real request that follows is checked.
 */
export function registerAuthHook(
  fastify: FastifyInstance,
  config: AppConfig,
  authenticator: Authenticator,
  options: AuthHookOptions = {},
): void {
  const open = new Set([...PUBLIC_PATHS, ...(options.openPaths ?? [])]);
  if (config.metrics.public) open.add('/metrics');
  const files = new Set(options.publicFiles ?? []);
  const limiter = new FailureLimiter(FAILED_ATTEMPTS_PER_MINUTE, 60_000);
  // OAuth access tokens are issued for the MCP endpoint only; REST takes API keys.
  const audienceOf = (path: string) => (path === '/mcp' ? `${config.publicUrl}/mcp` : `${config.publicUrl}/api`);

  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const path = pathOf(request.url);
    const readsFile = request.method === 'GET' || request.method === 'HEAD';
    if (request.method === 'OPTIONS' || open.has(path) || (readsFile && files.has(path))) return done();

    let principal = ANONYMOUS;
    const required = authenticator.credentialsRequired();
    if (!required && !config.auth.allowAnonymous && !isLoopbackHostHeader(request.headers.host)) {
      // Keyless access is for this machine only: a web page that rebinds its own domain name to
      // 127.0.0.1 (DNS rebinding) sends its own Host header, and is refused here.
      void reply.status(403).send({
        error: 'forbidden',
        message: 'Without an API key this server answers only requests addressed to localhost or a loopback address',
      });
      return;
    }
    if (required) {
      const retryAfter = limiter.retryAfterSeconds(request.ip);
      if (retryAfter > 0) {
        void reply
          .status(429)
          .header('Retry-After', String(retryAfter))
          .send({
            error: 'rate_limited',
            message: `Too many failed credential attempts; retry in ${retryAfter} s`,
          });
        return;
      }
      const secret =
        presentedApiKey(request.headers) ?? (QUERY_KEY_PATHS.has(path) ? queryKey(request.query) : undefined);
      const resolved = secret === undefined ? undefined : authenticator.authenticate(secret, audienceOf(path));
      if (!resolved) {
        if (secret !== undefined) limiter.recordFailure(request.ip);
        const { challenge, message } = options.unauthorized?.(path, secret !== undefined) ?? apiKeyUnauthorized(secret);
        void reply.status(401).header('WWW-Authenticate', challenge).send({ error: 'unauthorized', message });
        return;
      }
      principal = resolved;
    }

    let namespace: string;
    try {
      namespace = chooseNamespace(principal, request.headers[NAMESPACE_HEADER]);
    } catch (error) {
      const { status, body } = toErrorResponse(error as DomainError);
      void reply.status(status).send(body);
      return;
    }
    // Body parsing resumes in the socket's async context, not this one: keep the context in an async
    // resource and re-enter it once the body is read (the pattern of @fastify/request-context).
    const resource = runInContext({ principal, namespace }, () => new AsyncResource('engram-request'));
    (request as RequestWithContext)[CONTEXT] = resource;
    resource.runInAsyncScope(done);
  });

  fastify.addHook('preValidation', (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    const resource = (request as RequestWithContext)[CONTEXT];
    if (resource) resource.runInAsyncScope(done);
    else done();
  });
}

/** RFC 6750 §3: `error="invalid_token"` when a credential was presented and refused. */
function apiKeyUnauthorized(secret: string | undefined) {
  return {
    challenge: secret === undefined ? 'Bearer realm="engram"' : 'Bearer realm="engram", error="invalid_token"',
    message: 'Missing or invalid API key: send it as "Authorization: Bearer <key>" or "X-API-Key: <key>"',
  };
}

const CONTEXT = Symbol('engram-request-context');
type RequestWithContext = FastifyRequest & { [CONTEXT]?: AsyncResource };

/** localhost, 127.x.y.z or [::1], with or without a port. */
export function isLoopbackHostHeader(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.replace(/:\d+$/, '').toLowerCase();
  return name === 'localhost' || name === '[::1]' || /^127(\.\d{1,3}){3}$/.test(name);
}

function queryKey(query: unknown): string | undefined {
  const value = (query as Record<string, unknown> | undefined)?.api_key;
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function pathOf(url: string): string {
  const path = url.split('?', 1)[0];
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}
