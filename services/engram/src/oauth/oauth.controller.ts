import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Get, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuditAction, AuditOutcome } from '../audit/audit-event';
import { AuditEntry, AuditService } from '../audit/audit.service';
import { authorizationCredential } from '../auth/api-key.verifier';
import { Authenticator } from '../auth/authenticator';
import { failureBudgetKey } from '../auth/client-address';
import { CredentialWatch } from '../auth/credential-watch';
import { emptyReservation, FAILURE_LIMITER, FailureBudget, FailureLimiter, Reservation } from '../auth/failure-limiter';
import { isNamespace } from '../auth/namespace';
import { currentContext, DEFAULT_NAMESPACE, Principal } from '../auth/request-context';
import { PublicRoute } from '../auth/route-access';
import { grants, Scope } from '../auth/scopes';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { presentedClient } from './client-credentials';
import { PasswordSignIn, renderConsentPage, renderErrorPage } from './consent-page';
import { OAuthError, repeatedParameter } from './oauth.errors';
import { OAUTH_SCOPES } from './oauth-scopes';
import { AuthorizationRequest, AuthorizationTarget, OAuthService } from './oauth.service';
import { ConsentForm, PendingConsents } from './pending-consents';

/**
 * Where MCP clients look for OAuth (RFC 9728, RFC 8414, OpenID discovery). Always open: with OAuth off
 * they answer 404, which tells a client to use an API key rather than start an OAuth flow.
 */
export const OAUTH_DISCOVERY_PATHS = [
  '/.well-known/oauth-protected-resource',
  '/.well-known/oauth-protected-resource/mcp',
  '/.well-known/oauth-authorization-server',
  '/.well-known/openid-configuration',
];

/** The authorization endpoint: a page the user's browser is sent to, never called by a client's script. */
export const AUTHORIZATION_ENDPOINT_PATH = '/oauth/authorize';

/** The endpoints a client calls itself and reads OAuth's JSON errors from: registration, tokens, revocation. */
export const OAUTH_CLIENT_ENDPOINT_PATHS: readonly string[] = ['/oauth/register', '/oauth/token', '/oauth/revoke'];

/** Paths the auth hook leaves open when OAuth is on: discovery, registration, consent, tokens. */
export const OAUTH_OPEN_PATHS = [...OAUTH_DISCOVERY_PATHS, AUTHORIZATION_ENDPOINT_PATH, ...OAUTH_CLIENT_ENDPOINT_PATHS];
export const RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource/mcp';

/**
 * Per client address and minute: open registrations (each stores a client), refused registration,
 * token and revocation calls, and wrong operator sign-ins. A call that succeeds is never refused because
 * others failed; only the sign-in is checked before the password, because a password can be guessed.
 * Wrong passwords are also counted from every address together, so that many addresses cannot guess
 * what one may not: past that budget the password is not compared for an hour, and only admin keys
 * (which cannot be guessed) sign in.
 */
const BUDGETS: Record<'registrations' | 'clientFailures' | 'signInFailures' | 'passwordFailures', FailureBudget> = {
  registrations: { name: 'oauth-registrations', limit: 60, windowMs: 60_000 },
  clientFailures: { name: 'oauth-client-failures', limit: 60, windowMs: 60_000 },
  signInFailures: { name: 'oauth-sign-in-failures', limit: 10, windowMs: 60_000 },
  passwordFailures: { name: 'oauth-password-failures', limit: 100, windowMs: 3_600_000 },
};
/** The key of the count kept for every address together. */
const EVERY_ADDRESS = 'all';

type Form = Record<string, string | string[] | undefined>;

const PASSWORD_PAUSED =
  'Too many wrong passwords were tried from all addresses in the last hour, so the password is not checked ' +
  'for now: sign in with an admin API key, or try the password again later.';

/** The operator, as the audit log names them, when they signed in with ENGRAM_OAUTH_PASSWORD. */
const PASSWORD_OPERATOR: Principal = { kind: 'bootstrap', id: 'ENGRAM_OAUTH_PASSWORD', scopes: ['admin'] };

@ApiExcludeController()
@PublicRoute() // discovery, registration, consent and tokens are how a client gets a credential
@Controller()
export class OAuthController {
  private readonly logger = new Logger('OAuth');

  constructor(
    private readonly oauth: OAuthService,
    private readonly consents: PendingConsents,
    private readonly authenticator: Authenticator,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(FAILURE_LIMITER) private readonly limiter: FailureLimiter,
    private readonly audit: AuditService,
    private readonly watch: CredentialWatch,
  ) {}

  /**
   * RFC 9728: the metadata at the root describes the resource the root names (the server's origin, §3.3);
   * the one with the /mcp suffix describes the MCP endpoint, the resource tokens are issued for.
   */
  @Get('.well-known/oauth-protected-resource')
  rootProtectedResource() {
    return this.protectedResourceMetadata(this.oauth.issuer);
  }

  @Get('.well-known/oauth-protected-resource/mcp')
  protectedResource() {
    return this.protectedResourceMetadata(this.oauth.resource);
  }

  @Get('.well-known/oauth-authorization-server')
  authorizationServer() {
    const base = this.oauth.issuer;
    const methods = ['none', 'client_secret_post', 'client_secret_basic'];
    return {
      issuer: base,
      authorization_endpoint: `${base}/oauth/authorize`,
      token_endpoint: `${base}/oauth/token`,
      ...(this.oauth.registrationEnabled ? { registration_endpoint: `${base}/oauth/register` } : {}),
      revocation_endpoint: `${base}/oauth/revoke`,
      response_types_supported: ['code'],
      // Omitted, RFC 8414 §2 reads it as ["query", "fragment"]; codes are only ever sent in the query.
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: methods,
      revocation_endpoint_auth_methods_supported: methods,
      scopes_supported: OAUTH_SCOPES,
      authorization_response_iss_parameter_supported: true,
      client_id_metadata_document_supported: this.oauth.metadataDocumentsEnabled,
    };
  }

  @Post('oauth/register')
  async register(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const { openRegistration, registrationToken } = this.config.oauth;
    // An open registration is limited by its number, since each stores a client; a gated one by its failures.
    const open = this.oauth.registrationEnabled && openRegistration;
    await this.answer(reply, open ? BUDGETS.registrations : BUDGETS.clientFailures, open, async () => {
      if (!this.oauth.registrationEnabled) {
        throw new OAuthError(
          'access_denied',
          'dynamic client registration is closed here: use an https client_id naming a client ID metadata document, or ask the operator',
          403,
        );
      }
      const bearer = authorizationCredential(request.headers.authorization, 'Bearer') ?? '';
      if (!openRegistration && !sameSecret(bearer, registrationToken!)) {
        throw new OAuthError('invalid_client', 'registration needs the initial access token as a Bearer token', 401);
      }
      return { status: 201, body: await this.oauth.register(request.body) };
    });
  }

  @Get('oauth/authorize')
  async authorize(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const query = request.query as Record<string, unknown>;
    let target: AuthorizationTarget;
    try {
      target = await this.oauth.authorizationTarget(query, callerKey());
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      return this.page(reply, 400, renderErrorPage(error.message));
    }
    let authorization: AuthorizationRequest;
    try {
      authorization = this.oauth.validateAuthorization(target, query);
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      if (!this.oauth.redirectsErrors(target.client)) return this.page(reply, 400, renderErrorPage(error.message));
      return redirect(reply, target.redirectUri, {
        error: error.error,
        error_description: error.description,
        state: query.state,
        iss: this.oauth.issuer,
      });
    }
    const consent = await this.consents.open(authorization, callerKey());
    const html = this.consentPage(authorization, consent, await this.passwordSignIn());
    return this.page(reply, 200, html, authorization.redirectUri);
  }

  @Post('oauth/authorize')
  async approve(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    // The consent page posts a form; any other body (a JSON object holding an object) was not sent by it.
    if (!isForm(request.body ?? {})) return this.consentExpired(reply);
    const form = (request.body ?? {}) as Form;
    const consent = { requestId: single(form.request_id) ?? '', csrf: single(form.csrf) ?? '' };
    const authorization = await this.consents.check(consent);
    if (!authorization) return this.consentExpired(reply);
    const state = authorization.state;
    if (single(form.action) !== 'approve') {
      if (!(await this.consents.take(consent))) return this.consentExpired(reply);
      await this.audit.record(consentEntry(authorization, 'denied'));
      return redirect(reply, authorization.redirectUri, { error: 'access_denied', state, iss: this.oauth.issuer });
    }
    // A place in the address's budget is taken before the credential is compared, so a burst of
    // sign-ins at once is compared no more often than one after another; a sign-in that succeeds gives it back.
    const signIn = await this.limiter.reserve([{ budget: BUDGETS.signInFailures, key: callerKey() }]);
    if (signIn.retryAfterSeconds > 0) {
      const wait = `Too many failed sign-ins; retry in ${signIn.retryAfterSeconds} s.`;
      return this.page(reply, 429, renderErrorPage(wait));
    }
    const scopes = [form.scope ?? []]
      .flat()
      .filter((scope): scope is Scope => authorization.scopes.includes(scope as Scope));
    const namespace = (single(form.namespace) ?? DEFAULT_NAMESPACE).trim();
    const again = async (error: string, status: number) => {
      if (!(await this.consents.take(consent))) return this.consentExpired(reply);
      const fresh = await this.consents.open(authorization, callerKey());
      const html = this.consentPage(authorization, fresh, await this.passwordSignIn(), error);
      return this.page(reply, status, html, authorization.redirectUri);
    };
    const { password, guess } = await this.passwordGuess();
    const operator = await this.signedInOperator(single(form.credential) ?? '', password === 'accepted');
    if (!operator) {
      await this.audit.record(consentEntry(authorization, 'failure'));
      if (password === 'paused') {
        this.logger.warn({ msg: 'Operator password sign-in paused: too many wrong passwords from all addresses' });
        return again(PASSWORD_PAUSED, 401);
      }
      return again('That password or admin key is not right.', 401);
    }
    await Promise.all([signIn.release(), guess.release()]);
    if (scopes.length === 0) return again('Choose at least one kind of access.', 400);
    if (!isNamespace(namespace)) return again('The namespace is 1-64 lower-case letters, digits, _ or -.', 400);
    // Taken, not just checked: a form posted twice (or to two replicas at once) approves once.
    if (!(await this.consents.take(consent))) return this.consentExpired(reply);
    const code = await this.oauth.issueCode(authorization, scopes, namespace);
    await this.audit.record(consentEntry(authorization, 'success', { operator, scopes, namespace }));
    return redirect(reply, authorization.redirectUri, { code, state, iss: this.oauth.issuer });
  }

  @Post('oauth/token')
  async token(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    await this.answer(reply, BUDGETS.clientFailures, false, async () => {
      const form = formFields(request.body);
      const presented = presentedClient(form, request.headers.authorization);
      return { status: 200, body: await this.oauth.token(form, presented) };
    });
  }

  @Post('oauth/revoke')
  async revoke(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    await this.answer(reply, BUDGETS.clientFailures, false, async () => {
      const form = formFields(request.body);
      await this.oauth.revoke(form.token, presentedClient(form, request.headers.authorization));
      void this.watch.recheckNow(); // the token's open MCP streams end too
      return { status: 200, body: {} };
    });
  }

  private protectedResourceMetadata(resource: string) {
    return {
      resource,
      authorization_servers: [this.oauth.issuer],
      scopes_supported: OAUTH_SCOPES,
      bearer_methods_supported: ['header'],
      resource_name: 'Engram memory',
    };
  }

  private consentPage(
    authorization: AuthorizationRequest,
    { requestId, csrf }: ConsentForm,
    password: PasswordSignIn,
    error?: string,
  ): string {
    return renderConsentPage({
      requestId,
      csrf,
      clientName: this.oauth.clientName(authorization.client),
      clientHost: this.oauth.clientHost(authorization.client),
      redirectUri: authorization.redirectUri,
      scopes: authorization.scopes,
      namespace: DEFAULT_NAMESPACE,
      password,
      error,
    });
  }

  private consentExpired(reply: FastifyReply): Promise<void> {
    return this.page(
      reply,
      400,
      renderErrorPage('This consent form expired or was not issued by this server; start again.'),
    );
  }

  /**
   * Whether this sign-in may compare the password: it is set, and a place is left in the budget of wrong
   * ones from all addresses. The place is taken now, so a burst from many addresses at once is compared no
   * more often than the budget allows; a sign-in that succeeds gives it back.
   */
  private async passwordGuess(): Promise<{ password: PasswordSignIn; guess: Reservation }> {
    if (this.config.oauth.password === undefined) return { password: 'none', guess: emptyReservation(0) };
    const guess = await this.limiter.reserve([{ budget: BUDGETS.passwordFailures, key: EVERY_ADDRESS }]);
    return { password: guess.retryAfterSeconds > 0 ? 'paused' : 'accepted', guess };
  }

  /** What the consent page offers now: the password when it is set and not paused by wrong ones from all addresses. */
  private async passwordSignIn(): Promise<PasswordSignIn> {
    if (this.config.oauth.password === undefined) return 'none';
    const paused = (await this.limiter.retryAfterSeconds(BUDGETS.passwordFailures, EVERY_ADDRESS)) > 0;
    return paused ? 'paused' : 'accepted';
  }

  /** The operator: the password (when set, and while it may be tried), else an admin key on the whole store. */
  private async signedInOperator(credential: string, passwordOpen: boolean): Promise<Principal | undefined> {
    if (credential === '') return undefined;
    const password = this.config.oauth.password;
    if (password !== undefined && passwordOpen && sameSecret(credential, password)) return PASSWORD_OPERATOR;
    const principal = await this.authenticator.authenticate(credential, '');
    const admin =
      !!principal && principal.kind !== 'oauth' && grants(principal.scopes, 'admin') && !principal.boundNamespace;
    return admin ? principal : undefined;
  }

  /**
   * Runs an endpoint's work and answers in OAuth's error format. Refused calls count against `budget`
   * for the client address (every call that succeeds does when `countEvery`, checked first); past it the
   * answer is 429.
   */
  private async answer(
    reply: FastifyReply,
    budget: FailureBudget,
    countEvery: boolean,
    work: () => Promise<{ status: number; body: unknown }>,
  ): Promise<void> {
    void reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    const address = callerKey();
    try {
      const { status, body } = countEvery ? await this.withinBudget(budget, address, work) : await work();
      await reply.status(status).send(body);
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      let answer = error;
      if (!countEvery && error.status !== 429) {
        await this.limiter.recordFailure(budget, address);
        answer = await this.refuseOverBudget(budget, address).then(
          () => error,
          (limited: OAuthError) => limited,
        );
      }
      // RFC 6749 §5.2: a client that tried HTTP authentication is told the scheme it failed with.
      if (answer.status === 401 && /^Basic\b/i.test(reply.request.headers.authorization ?? '')) {
        void reply.header('WWW-Authenticate', 'Basic realm="engram-oauth"');
      }
      await reply.status(answer.status).send(answer.body);
    }
  }

  /**
   * Runs `work` holding a place in the address's budget, taken in one step with the check, so calls at
   * once on any replica succeed no more often than the budget allows; a call that fails gives it back.
   */
  private async withinBudget<T>(budget: FailureBudget, address: string, work: () => Promise<T>): Promise<T> {
    const place = await this.limiter.reserve([{ budget, key: address }]);
    if (place.retryAfterSeconds > 0) throw slowDown(place.retryAfterSeconds);
    try {
      return await work();
    } catch (error) {
      await place.release();
      throw error;
    }
  }

  private async refuseOverBudget(budget: FailureBudget, address: string): Promise<void> {
    const retryAfter = await this.limiter.retryAfterSeconds(budget, address);
    if (retryAfter > 0) throw slowDown(retryAfter);
  }

  private async page(reply: FastifyReply, status: number, html: string, redirectUri?: string): Promise<void> {
    // Browsers apply form-action to the redirect that follows the form post: allow the client's origin.
    const target = redirectUri ? ` ${formTarget(redirectUri)}` : '';
    await reply
      .status(status)
      .header('Content-Type', 'text/html; charset=utf-8')
      .header('Cache-Control', 'no-store')
      .header('X-Frame-Options', 'DENY')
      .header('Referrer-Policy', 'no-referrer')
      .header(
        'Content-Security-Policy',
        `default-src 'none'; style-src 'unsafe-inline'; form-action 'self'${target}; frame-ancestors 'none'; base-uri 'none'`,
      )
      .send(html);
  }
}

async function redirect(reply: FastifyReply, uri: string, params: Record<string, unknown>): Promise<void> {
  const url = new URL(uri);
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === 'string' && value !== '') url.searchParams.set(name, value);
  }
  await reply.header('Cache-Control', 'no-store').redirect(url.toString(), 303);
}

/** RFC 8628's name for "slow down", which OAuth clients know; with the seconds to wait. */
function slowDown(retryAfter: number): OAuthError {
  return new OAuthError('slow_down', `too many requests; retry in ${retryAfter} s`, 429);
}

function formTarget(uri: string): string {
  const url = new URL(uri);
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : url.protocol;
}

/** Fields whose values are strings, or lists of strings: what a form (or a JSON object of strings) holds. */
function isForm(body: unknown): body is Form {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  return Object.values(body).every((value) => [value].flat().every((one) => typeof one === 'string'));
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The parameters of a token or revocation request: a form (RFC 6749 §3.2), or a JSON object of strings.
 * Any other body is invalid_request: a JSON string was spread into one field per character, quadratic
 * work (4 MB took 17 s to refuse), and a value that is not a string reached code that reads strings. A
 * field given twice is refused too (RFC 6749 §3.1), rather than read as its first value; one given
 * without a value is left out, as if it had not been sent (§3.2).
 */
function formFields(body: unknown): Record<string, string | undefined> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OAuthError('invalid_request', 'send the parameters as an application/x-www-form-urlencoded form');
  }
  const fields: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(body as Form)) {
    if (Array.isArray(value)) throw repeatedParameter(name);
    if (value !== undefined && typeof value !== 'string') {
      throw new OAuthError('invalid_request', `${name} must be a string`);
    }
    if (value !== '') fields[name] = value;
  }
  return fields;
}

function sameSecret(presented: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The audit entry of a consent: approved by the signed-in operator, denied, or a failed sign-in. */
function consentEntry(
  authorization: AuthorizationRequest,
  outcome: AuditOutcome,
  approval?: { operator: Principal; scopes: Scope[]; namespace: string },
): AuditEntry {
  return {
    action: AuditAction.OAuthApprove,
    outcome,
    target: authorization.client.clientId,
    namespace: approval?.namespace ?? null,
    details: { client_name: authorization.client.metadata.client_name ?? null, scopes: approval?.scopes },
    actor: approval && { principal: approval.operator, clientAddress: currentContext().clientAddress },
  };
}

/**
 * Who is asking, as failure budgets, pending consents and metadata document fetches count it: the client
 * address (an IPv6 /64).
 */
function callerKey(): string {
  return failureBudgetKey(currentContext().clientAddress);
}
