import { AsyncResource } from 'node:async_hooks';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, Forbidden, StoreBusy } from '../common/domain-errors';
import { retryAfterOf, toErrorResponse } from '../common/error-response';
import { AppConfig } from '../config/config.types';
import { clientAddress, failureBudgetKey, TrustedProxies } from './client-address';
import { presentedApiKey } from './api-key.verifier';
import { CrossSiteRequest } from './auth.errors';
import { Authenticator } from './authenticator';
import { CrossSiteGuard } from './cross-site';
import { FailureBudget, FailureLimiter } from './failure-limiter';
import { chooseNamespace, NAMESPACE_HEADER } from './namespace';
import { DEFAULT_NAMESPACE, Principal, RequestContext, runInContext } from './request-context';
import { RouteAccess } from './route-access';
import { grants } from './scopes';
import { secretDigest } from './secrets';

/** Wrong credentials allowed per minute from one client address, and for one presented key prefix. */
export const CREDENTIAL_FAILURE_BUDGETS: Record<'address' | 'keyPrefix', FailureBudget> = {
  address: { name: 'credential-address', limit: 30, windowMs: 60_000 },
  keyPrefix: { name: 'credential-key-prefix', limit: 30, windowMs: 60_000 },
};

/** Characters that name the key a secret claims to be (`egk_` and six more, as keys are listed). */
const KEY_PREFIX_CHARS = 10;

/** Keyless mode: whoever reaches the server (on loopback, or anyone when allowed on purpose) is admin. */
const ANONYMOUS: Principal = { kind: 'anonymous', id: 'anonymous', scopes: ['admin'] };
/** The caller of a public route: nothing is granted, and nothing is asked. */
const UNAUTHENTICATED: Principal = { kind: 'anonymous', id: 'anonymous', scopes: [] };

export interface AuthHookOptions {
  /** The route OAuth access tokens are issued for; every other route takes API keys only. */
  tokenRoute?: string;
  /**
   * The 401 for a route when it differs from the API-key one (with OAuth on, /mcp points clients at its
   * protected-resource metadata); `tokenPresented` tells a refused credential from a missing one.
   */
  unauthorized?: (
    route: string | undefined,
    tokenPresented: boolean,
  ) => { challenge: string; message: string } | undefined;
}

/**
 * Deny by default: one hook in front of every route — REST, MCP, docs, metrics and unknown paths alike.
 * It works out the caller (principal), checks the scope the matched route declares (`RouteAccess`, never
 * the URL text), picks the namespace, and runs the rest of the request inside that context. A valid
 * credential is always served; wrong ones are counted per client address and per key prefix, and past
 * the budget answered 429 instead of 401. CORS preflights pass; the request that follows is checked.
 */
export function registerAuthHook(
  fastify: FastifyInstance,
  config: AppConfig,
  authenticator: Authenticator,
  limiter: FailureLimiter,
  options: AuthHookOptions = {},
): void {
  const proxies = new TrustedProxies(config.http.trustedProxies);
  const crossSite = new CrossSiteGuard(config);
  const audienceOf = (route: string | undefined) =>
    route !== undefined && route === options.tokenRoute ? `${config.publicUrl}${route}` : `${config.publicUrl}/api`;

  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const address = clientAddress(request.raw, proxies);
    (request as RequestWithAuth)[AUTH] = { clientAddress: address };
    if (request.method === 'OPTIONS') return done();
    const access = request.routeOptions.config.access;
    if (access?.scope === 'public') {
      return enter(request, { principal: UNAUTHENTICATED, namespace: DEFAULT_NAMESPACE, clientAddress: address }, done);
    }
    const admit = (principal: Principal) => {
      (request as RequestWithAuth)[AUTH] = { clientAddress: address, principal };
      const refused = accessRefusal(request, access, principal);
      if (refused) return send(reply, refused);
      let namespace: string;
      try {
        namespace = chooseNamespace(principal, request.headers[NAMESPACE_HEADER]);
      } catch (error) {
        return send(reply, error as DomainError);
      }
      const stillAdmitted = () => admittedAgain(authenticator, principal, secret, audienceOf(route));
      enter(request, { principal, namespace, clientAddress: address, stillAdmitted }, done);
    };

    const route = request.routeOptions.url;
    const secret = presentedApiKey(request.headers) ?? (access?.queryKey ? queryKey(request.query) : undefined);
    const decided = (required: boolean, principal: Principal | undefined) => {
      if (!required) {
        const refused = keylessRefusal(request, config, crossSite);
        return refused ? send(reply, refused) : admit(ANONYMOUS);
      }
      if (principal) return admit(principal);
      const unauthorized = () =>
        challenge(reply, options.unauthorized?.(route, secret !== undefined) ?? apiKeyUnauthorized(secret));
      if (secret === undefined) return unauthorized();
      void countFailure(limiter, address, secret).then(
        (retryAfter) => (retryAfter > 0 ? tooManyFailures(reply, retryAfter) : unauthorized()),
        (error: Error) => send(reply, error),
      );
    };
    // Only `decided` lets a request on; a lookup that fails answers 503 and goes no further.
    void lookUpCredential(authenticator, secret, audienceOf(route))
      .then(
        ({ required, principal }) => decided(required, principal),
        (error: unknown) => {
          request.log.error({ err: error }, 'The credential store failed; the request is refused');
          send(reply, credentialStoreFailure(error));
        },
      )
      // What fastify does with a hook that throws, so a bug here answers 500 instead of ending the process.
      .catch((error: unknown) => {
        if (!reply.sent) send(reply, error);
      });
  });

  fastify.addHook('preValidation', (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    const resource = (request as RequestWithAuth)[AUTH]?.resource;
    if (resource) resource.runInAsyncScope(done);
    else done();
  });
}

/** What the auth hook learnt about a request, for hooks that run outside its context (the access log). */
export interface RequestAuth {
  clientAddress: string;
  /** Who the credential names; absent when there was none or it was wrong (and for CORS preflights). */
  principal?: Principal;
  /** Absent when the request was refused (or is a CORS preflight). */
  context?: RequestContext;
  resource?: AsyncResource;
}

export function requestAuthOf(request: FastifyRequest): RequestAuth | undefined {
  return (request as RequestWithAuth)[AUTH];
}

const AUTH = Symbol('engram-request-auth');
type RequestWithAuth = FastifyRequest & { [AUTH]?: RequestAuth };

function enter(request: FastifyRequest, context: RequestContext, done: () => void): void {
  // Body parsing resumes in the socket's async context, not this one: keep the context in an async
  // resource and re-enter it once the body is read (the pattern of @fastify/request-context).
  const resource = runInContext(context, () => new AsyncResource('engram-request'));
  (request as RequestWithAuth)[AUTH] = {
    clientAddress: context.clientAddress,
    principal: context.principal,
    context,
    resource,
  };
  resource.runInAsyncScope(done);
}

/** What the matched route needs against what the principal holds; undefined when it may go on. */
function accessRefusal(
  request: FastifyRequest,
  access: RouteAccess | undefined,
  principal: Principal,
): DomainError | undefined {
  if (access === undefined) {
    // An unknown path answers 404 to a caller with a credential; a route without a declaration is a bug.
    return request.is404 ? undefined : new Forbidden('This route declares no access rule, so it is refused');
  }
  if (access.scope === 'public') return undefined;
  if (access.scope !== 'credential' && !grants(principal.scopes, access.scope)) {
    return new Forbidden(
      `This needs the "${access.scope}" scope; the credential has: ${principal.scopes.join(', ') || 'none'}`,
    );
  }
  // Whole-store operations would let a namespace-bound key reach other namespaces (or mint keys that can).
  if (access.wholeStore && principal.boundNamespace !== undefined) {
    return new Forbidden(
      'This concerns the whole store (keys, backups, restore, reindex, jobs, audit, store-wide figures) and needs a credential not bound to a namespace',
    );
  }
  return undefined;
}

function keylessRefusal(
  request: FastifyRequest,
  config: AppConfig,
  crossSite: CrossSiteGuard,
): DomainError | undefined {
  if (!config.auth.allowAnonymous && !isLoopbackHostHeader(request.headers.host)) {
    // Keyless access is for this machine only: a web page that rebinds its own domain name to
    // 127.0.0.1 (DNS rebinding) sends its own Host header, and is refused here.
    return new Forbidden(
      'Without an API key this server answers only requests addressed to localhost or a loopback address',
    );
  }
  const refusal = crossSite.refusal(request.method, request.headers);
  return refusal === undefined ? undefined : new CrossSiteRequest(refusal);
}

/** Whether this server asks for a credential, and whom the presented one names (stored keys are looked up). */
async function lookUpCredential(
  authenticator: Authenticator,
  secret: string | undefined,
  audience: string,
): Promise<{ required: boolean; principal?: Principal }> {
  if (!(await authenticator.credentialsRequired())) return { required: false };
  if (secret === undefined) return { required: true };
  return { required: true, principal: await authenticator.authenticate(secret, audience) };
}

/**
 * Whether the credential `admitted` came from would be admitted now: the same principal for the same
 * secret, or keyless access still open for an anonymous caller. A store that fails to answer is a blip,
 * not a refusal: the caller was admitted and nothing says otherwise.
 */
async function admittedAgain(
  authenticator: Authenticator,
  admitted: Principal,
  secret: string | undefined,
  audience: string,
): Promise<boolean> {
  try {
    const { required, principal } = await lookUpCredential(authenticator, secret, audience);
    if (!required) return admitted === ANONYMOUS;
    return principal?.kind === admitted.kind && principal.id === admitted.id;
  } catch {
    return true;
  }
}

/** A credential store that failed is busy or down, never a reason to let the request through: a 503. */
function credentialStoreFailure(error: unknown): unknown {
  if (toErrorResponse(error).status === 503) return error;
  return new StoreBusy('Credentials could not be checked: the store did not answer; retry shortly');
}

/** Counts a wrong credential against its address and its key prefix; the seconds to wait if already over budget. */
async function countFailure(limiter: FailureLimiter, address: string, secret: string): Promise<number> {
  const prefix = secretDigest(secret.slice(0, KEY_PREFIX_CHARS)).slice(0, 16);
  const counted: [FailureBudget, string][] = [
    [CREDENTIAL_FAILURE_BUDGETS.address, failureBudgetKey(address)],
    [CREDENTIAL_FAILURE_BUDGETS.keyPrefix, prefix],
  ];
  const waits = await Promise.all(counted.map(([budget, key]) => limiter.retryAfterSeconds(budget, key)));
  await Promise.all(counted.map(([budget, key]) => limiter.recordFailure(budget, key)));
  return Math.max(...waits);
}

function challenge(reply: FastifyReply, answer: { challenge: string; message: string }): void {
  void reply
    .status(401)
    .header('WWW-Authenticate', answer.challenge)
    .send({ error: 'unauthorized', message: answer.message });
}

/** RFC 6750 §3: `error="invalid_token"` when a credential was presented and refused. */
function apiKeyUnauthorized(secret: string | undefined) {
  return {
    challenge: secret === undefined ? 'Bearer realm="engram"' : 'Bearer realm="engram", error="invalid_token"',
    message: 'Missing or invalid API key: send it as "Authorization: Bearer <key>" or "X-API-Key: <key>"',
  };
}

function tooManyFailures(reply: FastifyReply, retryAfter: number): void {
  void reply
    .status(429)
    .header('Retry-After', String(retryAfter))
    .send({ error: 'rate_limited', message: `Too many failed credential attempts; retry in ${retryAfter} s` });
}

function send(reply: FastifyReply, error: unknown): void {
  const { status, body } = toErrorResponse(error);
  const retryAfter = retryAfterOf(error, status);
  if (retryAfter !== undefined) void reply.header('Retry-After', retryAfter);
  void reply.status(status).send(body);
}

/** localhost, 127.x.y.z or [::1], with or without a port. */
export function isLoopbackHostHeader(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = withoutPort(host).toLowerCase();
  return name === 'localhost' || name === '[::1]' || /^127(\.\d{1,3}){3}$/.test(name);
}

/** `host:port` → `host`; `[v6]:port` → `[v6]`. String operations only: the header is attacker text. */
function withoutPort(host: string): string {
  const colon = host.lastIndexOf(':');
  if (colon === -1 || host.lastIndexOf(']') > colon) return host;
  const port = host.slice(colon + 1);
  return port !== '' && [...port].every((char) => char >= '0' && char <= '9') ? host.slice(0, colon) : host;
}

function queryKey(query: unknown): string | undefined {
  const value = (query as Record<string, unknown> | undefined)?.api_key;
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}
