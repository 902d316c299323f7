import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { z } from 'zod';
import { AuditAction } from '../audit/audit-event';
import { AuditService } from '../audit/audit.service';
import { AccessTokenResolver } from '../auth/authenticator';
import { FAILURE_LIMITER, FailureLimiter } from '../auth/failure-limiter';
import { isNamespace } from '../auth/namespace';
import { Principal } from '../auth/request-context';
import { Scope } from '../auth/scopes';
import { newSecret, secretDigest } from '../auth/secrets';
import { NotFound } from '../common/domain-errors';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import {
  ClientRecord,
  CodeRecord,
  Issuance,
  OAuthStore,
  RegisteredMetadata,
  TokenRecord,
} from '../storage/oauth.store';
import { AddressPolicy } from './address-policy';
import { ClientMetadataDocuments } from './client-metadata-documents';
import { isMetadataDocumentUrl, SUPPORTED_GRANT_TYPES } from './client-metadata-document';
import { ClientMetadataRepository } from './client-metadata.repository';
import { PresentedClient } from './client-credentials';
import { OAuthError, repeatedParameter } from './oauth.errors';
import { OAUTH_SCOPES } from './oauth-scopes';
import { redirectUriMatches, redirectUriProblem } from './redirect-uri';
import { sameResource } from './resource-indicator';

const CODE_TTL_MS = 60_000;
const DAY_MS = 86_400_000;
/** A registration nobody approved within a day is deleted: open registration cannot pile up rows. */
const UNGRANTED_CLIENT_TTL_MS = DAY_MS;

/**
 * Names from a closed set (each checked against it below), bounded in number and length: the registration
 * is stored and echoed, and an unsupported name is quoted in the error.
 */
const typeNames = z.array(z.string().max(64)).max(10);

const ClientMetadata = z.object({
  redirect_uris: z.array(z.string()).min(1, 'redirect_uris must hold at least one URI').max(20),
  token_endpoint_auth_method: z.enum(['none', 'client_secret_post', 'client_secret_basic']).default('none'),
  grant_types: typeNames.default(['authorization_code', 'refresh_token']),
  response_types: typeNames.default(['code']),
  client_name: z.string().max(200).optional(),
  client_uri: z.string().max(2000).optional(),
  scope: z.string().max(200).optional(),
});

export interface AuthorizationRequest {
  client: ClientRecord;
  redirectUri: string;
  codeChallenge: string;
  state?: string;
  /** What the client asked for (space-separated), narrowed to what connectors may get. */
  scopes: Scope[];
  resource: string;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  /** Only for clients registered (or documented) with the refresh_token grant. */
  refresh_token?: string;
  scope: string;
}

/** The client and redirect URI of an authorization request, verified before anything is redirected. */
export interface AuthorizationTarget {
  client: ClientRecord;
  redirectUri: string;
}

/**
 * The authorization server behind MCP's OAuth 2.1 profile: clients identified by client ID metadata
 * documents or dynamic registration, authorization codes with PKCE S256 only, access tokens bound to the
 * /mcp resource, rotating refresh tokens whose reuse revokes their whole family, and revocation.
 */
@Injectable()
export class OAuthService implements AccessTokenResolver, OnModuleInit {
  private readonly documents?: ClientMetadataDocuments;
  readonly issuer: string;
  /** The MCP endpoint: every access token's audience. */
  readonly resource: string;

  constructor(
    private readonly store: OAuthStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audit: AuditService,
    @Inject(FAILURE_LIMITER) limiter: FailureLimiter,
  ) {
    if (config.oauth.metadataDocuments) {
      const policy = new AddressPolicy(config.oauth.metadataPrivateHosts);
      this.documents = new ClientMetadataDocuments(new ClientMetadataRepository(policy), limiter);
    }
    this.issuer = config.publicUrl;
    this.resource = `${config.publicUrl}/mcp`;
  }

  async onModuleInit(): Promise<void> {
    await this.prune(Date.now());
  }

  /** Dynamic client registration is on: open to anyone, or to holders of the initial access token. */
  get registrationEnabled(): boolean {
    return this.config.oauth.openRegistration || this.config.oauth.registrationToken !== undefined;
  }

  get metadataDocumentsEnabled(): boolean {
    return this.documents !== undefined;
  }

  async register(body: unknown, now = Date.now()) {
    await this.prune(now);
    const parsed = ClientMetadata.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new OAuthError('invalid_client_metadata', `${issue.path.join('.') || 'body'}: ${issue.message}`);
    }
    const metadata: RegisteredMetadata = parsed.data;
    for (const uri of metadata.redirect_uris) {
      const problem = redirectUriProblem(uri);
      if (problem) throw new OAuthError('invalid_redirect_uri', problem);
    }
    const unsupported = metadata.grant_types.find((grant) => !SUPPORTED_GRANT_TYPES.includes(grant));
    if (unsupported) throw new OAuthError('invalid_client_metadata', `grant_types: ${unsupported} is not supported`);
    if (metadata.response_types.some((type) => type !== 'code')) {
      throw new OAuthError('invalid_client_metadata', "response_types: only 'code' is supported");
    }
    const confidential = metadata.token_endpoint_auth_method !== 'none';
    const secret = confidential ? newSecret('egc_') : undefined;
    const client: ClientRecord = {
      clientId: randomUUID(),
      secretHash: secret ? secretDigest(secret) : null,
      metadata,
      createdAt: now,
      source: 'registration',
      grantedAt: null,
    };
    await this.store.insertClient(client);
    return {
      client_id: client.clientId,
      client_id_issued_at: Math.floor(now / 1000),
      ...(secret ? { client_secret: secret, client_secret_expires_at: 0 } : {}),
      ...metadata,
    };
  }

  /**
   * The client and redirect URI of an authorization request: a client ID metadata document (fetched, or
   * from the cache) for an https client_id, else a registered client. Errors here are shown to the user,
   * never redirected: an unverified redirect URI must not receive anything (RFC 6749 §4.1.2.1).
   * `requester` (the caller's failureBudgetKey) is who a document fetch counts against.
   */
  async authorizationTarget(
    query: Record<string, unknown>,
    requester: string,
    now = Date.now(),
  ): Promise<AuthorizationTarget> {
    const clientId = text(query, 'client_id');
    const client = clientId ? await this.clientForAuthorization(clientId, requester, now) : undefined;
    if (!client) throw new OAuthError('invalid_client', 'client_id is missing or unknown; register the client first');
    const registered = client.metadata.redirect_uris;
    const redirectUri = text(query, 'redirect_uri') ?? (registered.length === 1 ? registered[0] : undefined);
    const exact = client.source === 'metadata_document';
    if (!redirectUri || !redirectUriMatches(redirectUri, registered, exact)) {
      throw new OAuthError('invalid_request', 'redirect_uri does not match a registered redirect URI');
    }
    return { client, redirectUri };
  }

  /**
   * The rest of an authorization request. Its errors may go back to the verified redirect URI, but only
   * for a client the operator approved before (`redirectsErrors`): anyone can register a client or host
   * a metadata document, and an unapproved one must not turn Engram into an open redirector (RFC 9700
   * §4.11.2).
   */
  validateAuthorization(
    { client, redirectUri }: AuthorizationTarget,
    query: Record<string, unknown>,
  ): AuthorizationRequest {
    const responseType = text(query, 'response_type');
    if (responseType === undefined) throw new OAuthError('invalid_request', "response_type is required: send 'code'");
    if (responseType !== 'code') {
      throw new OAuthError('unsupported_response_type', "response_type must be 'code', the only flow this server runs");
    }
    const challenge = text(query, 'code_challenge');
    if (text(query, 'code_challenge_method') !== 'S256' || !challenge || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
      throw new OAuthError(
        'invalid_request',
        'PKCE is required: code_challenge (S256, base64url) and code_challenge_method=S256',
      );
    }
    const resource = text(query, 'resource') ?? this.resource;
    if (!this.isOurResource(resource)) throw new OAuthError('invalid_target', `resource must be ${this.resource}`);
    return {
      client,
      redirectUri,
      codeChallenge: challenge,
      state: text(query, 'state'),
      scopes: this.requestedScopes(text(query, 'scope')),
      resource,
    };
  }

  /** Errors of this client's authorization requests may be redirected to it (it was approved before). */
  redirectsErrors(client: ClientRecord): boolean {
    return client.grantedAt !== null;
  }

  /** The operator approved: a single-use code for the client's redirect. */
  async issueCode(
    request: AuthorizationRequest,
    scopes: Scope[],
    namespace: string,
    now = Date.now(),
  ): Promise<string> {
    if (!isNamespace(namespace)) throw new OAuthError('invalid_request', 'namespace is not a valid namespace name');
    const code = newSecret('egz_');
    await this.store.recordApproval(
      { ...request.client, createdAt: now },
      this.codeRecord(code, request, scopes, namespace, now),
      now,
    );
    return code;
  }

  private codeRecord(
    code: string,
    request: AuthorizationRequest,
    scopes: Scope[],
    namespace: string,
    now: number,
  ): CodeRecord {
    return {
      codeHash: secretDigest(code),
      clientId: request.client.clientId,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      scopes,
      namespace,
      resource: request.resource,
      expiresAt: now + CODE_TTL_MS,
      usedAt: null,
      familyId: randomUUID(),
    };
  }

  async token(
    body: Record<string, string | undefined>,
    presented: PresentedClient,
    now = Date.now(),
  ): Promise<TokenResponse> {
    const grant = body.grant_type;
    if (grant !== 'authorization_code' && grant !== 'refresh_token') {
      throw new OAuthError('unsupported_grant_type', 'grant_type must be authorization_code or refresh_token');
    }
    const client = await this.authenticateClient(presented);
    if (!client.metadata.grant_types.includes(grant)) {
      throw new OAuthError('unauthorized_client', `this client is not registered for the ${grant} grant`);
    }
    return grant === 'authorization_code' ? this.exchangeCode(client, body, now) : this.refresh(client, body, now);
  }

  /**
   * RFC 7009: the client authenticates as at the token endpoint (§2.1); a token that is unknown or not
   * the client's is answered like a revoked one. A refresh token takes its whole family with it.
   */
  async revoke(token: string | undefined, presented: PresentedClient, now = Date.now()): Promise<void> {
    const client = await this.authenticateClient(presented);
    if (!token) throw new OAuthError('invalid_request', 'token is required');
    const record = await this.store.findToken(secretDigest(token));
    if (!record || record.clientId !== client.clientId) return;
    if (record.kind === 'refresh') await this.store.revokeFamily(record.familyId, now);
    else await this.store.revokeToken(record.tokenHash, now);
  }

  async resolve(token: string, audience: string, now = Date.now()): Promise<Principal | undefined> {
    if (!token.startsWith('ega_')) return undefined;
    const record = await this.store.findToken(secretDigest(token));
    if (!record || record.kind !== 'access' || record.revokedAt !== null || record.expiresAt <= now) return undefined;
    if (record.audience !== audience) return undefined;
    return { kind: 'oauth', id: record.clientId, scopes: record.scopes as Scope[], boundNamespace: record.namespace };
  }

  /** Registered clients with their live grants, for the operator. */
  async listClients(now = Date.now()) {
    return (await this.store.listClients(now)).map((client) => ({
      client_id: client.clientId,
      client_name: client.metadata.client_name ?? null,
      source: client.source,
      approved_at: client.grantedAt === null ? null : new Date(client.grantedAt).toISOString(),
      redirect_uris: client.metadata.redirect_uris,
      registered_at: new Date(client.createdAt).toISOString(),
      active_tokens: client.activeTokens,
      namespaces: client.namespaces,
      last_token_at: client.lastTokenAt === null ? null : new Date(client.lastTokenAt).toISOString(),
    }));
  }

  /** The operator cuts a connector off: every token it holds stops working; it must be approved again. */
  async revokeClient(clientId: string, now = Date.now()): Promise<{ client_id: string; revoked_tokens: number }> {
    if (!(await this.store.findClient(clientId))) throw new NotFound(`No OAuth client with id ${clientId}`);
    const revoked = { client_id: clientId, revoked_tokens: await this.store.revokeClientTokens(clientId, now) };
    await this.audit.record({
      action: AuditAction.OAuthRevoke,
      outcome: 'success',
      target: clientId,
      namespace: null,
      details: revoked,
    });
    return revoked;
  }

  clientName(client: ClientRecord): string {
    return client.metadata.client_name ?? client.clientId;
  }

  /** The host vouching for a metadata-document client's name and redirect URIs; none for registrations. */
  clientHost(client: ClientRecord): string | undefined {
    return client.source === 'metadata_document' ? new URL(client.clientId).host : undefined;
  }

  /**
   * RFC 8707 resource indicators this server answers to: the MCP endpoint, or the server's origin, which
   * RFC 9728 §3.3 makes the resource of the root metadata document, each in any spelling of the same URI
   * (resource-indicator.ts). Tokens are for /mcp either way.
   */
  private isOurResource(resource: string): boolean {
    return sameResource(resource, this.resource) || sameResource(resource, this.issuer);
  }

  private async clientForAuthorization(
    clientId: string,
    requester: string,
    now: number,
  ): Promise<ClientRecord | undefined> {
    if (!isMetadataDocumentUrl(clientId)) return this.store.findClient(clientId);
    if (!this.documents) return undefined;
    // Read first: a client the operator approved is fetched outside the bounds a flood can reach.
    const approved = await this.store.findClient(clientId);
    const metadata = await this.documents.resolve(
      clientId,
      { requester, approved: approved !== undefined && approved.grantedAt !== null },
      now,
    );
    return {
      clientId,
      secretHash: null,
      metadata,
      createdAt: approved?.createdAt ?? now,
      source: 'metadata_document',
      grantedAt: approved?.grantedAt ?? null,
    };
  }

  /** Drops expired codes and tokens, and registrations nobody approved in time. */
  async prune(now = Date.now()): Promise<void> {
    await this.store.pruneExpired(now);
    await this.store.pruneUngrantedClients(now - UNGRANTED_CLIENT_TTL_MS);
  }

  /**
   * The scopes a client asked for, narrowed to what connectors may get. Scopes this server does not
   * define (openid, offline_access, …) are ignored as OAuth allows; asking for `admin` is refused.
   */
  private requestedScopes(scope: string | undefined): Scope[] {
    const asked = (scope ?? '').split(/\s+/).filter(Boolean);
    if (asked.includes('admin')) {
      throw new OAuthError(
        'invalid_scope',
        `connectors cannot be granted admin; choose from: ${OAUTH_SCOPES.join(' ')}`,
      );
    }
    const offered = OAUTH_SCOPES.filter((candidate) => asked.includes(candidate));
    return offered.length > 0 ? offered : [...OAUTH_SCOPES];
  }

  /**
   * The client of a token or revocation request, authenticated by the method it registered with (RFC
   * 7591 token_endpoint_auth_method): a confidential client must present its secret that way, a public
   * one no secret at all.
   */
  private async authenticateClient(presented: PresentedClient): Promise<ClientRecord> {
    const client = presented.clientId ? await this.store.findClient(presented.clientId) : undefined;
    if (!client) throw new OAuthError('invalid_client', 'client_id is missing or unknown', 401);
    const registered = client.metadata.token_endpoint_auth_method;
    if (presented.method !== registered) {
      throw new OAuthError(
        'invalid_client',
        `this client authenticates with ${registered}, not ${presented.method}`,
        401,
      );
    }
    if (client.secretHash !== null) {
      const digest = Buffer.from(secretDigest(presented.secret ?? ''), 'hex');
      if (!timingSafeEqual(digest, Buffer.from(client.secretHash, 'hex'))) {
        throw new OAuthError('invalid_client', 'client authentication failed', 401);
      }
    }
    return client;
  }

  private async exchangeCode(
    client: ClientRecord,
    body: Record<string, string | undefined>,
    now: number,
  ): Promise<TokenResponse> {
    if (!body.code || !body.code_verifier)
      throw new OAuthError('invalid_request', 'code and code_verifier are required');
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(body.code_verifier)) {
      throw new OAuthError('invalid_request', 'code_verifier must be 43-128 characters of A-Z a-z 0-9 - . _ ~');
    }
    // The code is spent even when it is refused below: a second try with it counts as a replay.
    const redemption = await this.store.redeemCode(secretDigest(body.code), client.clientId, now, (code) =>
      this.exchange(client, code, body, now),
    );
    if (redemption.status === 'unknown') throw new OAuthError('invalid_grant', 'unknown authorization code');
    // A code presented twice was intercepted somewhere: what it produced has been revoked too.
    if (redemption.status === 'replayed') throw new OAuthError('invalid_grant', 'authorization code already used');
    if (redemption.answer instanceof OAuthError) throw redemption.answer;
    return redemption.answer;
  }

  /** The tokens a fresh code buys, once its expiry, redirect URI, resource and PKCE verifier check out. */
  private exchange(
    client: ClientRecord,
    code: CodeRecord,
    body: Record<string, string | undefined>,
    now: number,
  ): Issuance<TokenResponse | OAuthError> {
    if (code.expiresAt <= now) return refused(new OAuthError('invalid_grant', 'authorization code expired'));
    if (body.redirect_uri !== undefined && body.redirect_uri !== code.redirectUri) {
      return refused(new OAuthError('invalid_grant', 'redirect_uri differs from the authorization request'));
    }
    if (body.resource !== undefined && !sameResource(body.resource, code.resource)) {
      return refused(new OAuthError('invalid_target', `resource must be ${code.resource}`));
    }
    const challenge = createHash('sha256').update(body.code_verifier!).digest('base64url');
    if (challenge !== code.codeChallenge) {
      return refused(new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge'));
    }
    const scopes = code.scopes as Scope[];
    return this.issueTokens(
      client,
      { familyId: code.familyId, grantedAt: now, namespace: code.namespace },
      scopes,
      scopes,
      now,
    );
  }

  private async refresh(
    client: ClientRecord,
    body: Record<string, string | undefined>,
    now: number,
  ): Promise<TokenResponse> {
    if (!body.refresh_token) throw new OAuthError('invalid_request', 'refresh_token is required');
    const redemption = await this.store.rotateRefreshToken(
      secretDigest(body.refresh_token),
      client.clientId,
      now,
      (record) => this.rotation(client, record, body, now),
    );
    if (redemption.status === 'unknown') throw new OAuthError('invalid_grant', 'unknown refresh token');
    if (redemption.status === 'replayed') {
      // Reuse of a rotated token means two parties hold it: the whole family has been ended.
      throw new OAuthError('invalid_grant', 'refresh token was already used or revoked; sign in again');
    }
    if (redemption.answer instanceof OAuthError) throw redemption.answer;
    return redemption.answer;
  }

  /** The tokens a live refresh token buys; none (and the token stays unrotated) when it is refused. */
  private rotation(
    client: ClientRecord,
    record: TokenRecord,
    { scope, resource }: Record<string, string | undefined>,
    now: number,
  ): Issuance<TokenResponse | OAuthError> {
    if (record.expiresAt <= now)
      return refused(new OAuthError('invalid_grant', 'refresh token expired; sign in again'));
    if (record.grantedAt + this.config.oauth.grantMaxDays * DAY_MS <= now) {
      return refused(new OAuthError('invalid_grant', 'this approval reached its maximum age; sign in again'));
    }
    // RFC 8707 §2.2: a token asked for another resource is refused, not issued for /mcp as if it had not been asked.
    if (resource !== undefined && !this.isOurResource(resource)) {
      return refused(new OAuthError('invalid_target', `resource must be ${this.resource}`));
    }
    const granted = record.scopes as Scope[];
    const narrowed = narrowScopes(granted, scope);
    if (narrowed instanceof OAuthError) return refused(narrowed);
    // RFC 6749 §6: a narrower scope applies to the new access token; the refresh token keeps the grant.
    return this.issueTokens(client, record, narrowed, granted, now);
  }

  /** A new access token, and a refresh token for clients registered with that grant; to be stored. */
  private issueTokens(
    client: ClientRecord,
    family: { familyId: string; grantedAt: number; namespace: string },
    accessScopes: Scope[],
    grantScopes: Scope[],
    now: number,
  ): Issuance<TokenResponse> {
    const { oauth } = this.config;
    const grantEnds = family.grantedAt + oauth.grantMaxDays * DAY_MS;
    const common = {
      clientId: client.clientId,
      familyId: family.familyId,
      namespace: family.namespace,
      audience: this.resource,
      createdAt: now,
      grantedAt: family.grantedAt,
      rotatedAt: null,
      revokedAt: null,
    };
    const access = newSecret('ega_');
    const accessExpires = Math.min(now + oauth.accessTokenSeconds * 1000, grantEnds);
    const tokens: TokenRecord[] = [
      { ...common, tokenHash: secretDigest(access), kind: 'access', scopes: accessScopes, expiresAt: accessExpires },
    ];
    const response: TokenResponse = {
      access_token: access,
      token_type: 'Bearer',
      expires_in: Math.round((accessExpires - now) / 1000),
      scope: accessScopes.join(' '),
    };
    if (!client.metadata.grant_types.includes('refresh_token')) return { tokens, answer: response };
    const refresh = newSecret('egr_');
    tokens.push({
      ...common,
      tokenHash: secretDigest(refresh),
      kind: 'refresh',
      scopes: grantScopes,
      expiresAt: Math.min(now + oauth.refreshTokenDays * DAY_MS, grantEnds),
    });
    return { tokens, answer: { ...response, refresh_token: refresh } };
  }
}

/**
 * The scopes a refresh asks for: the grant's when it names none (an empty scope counts as not sent); a
 * subset of them otherwise. A scope of spaces only, or one the grant lacks, is refused rather than
 * issuing a token that can do nothing.
 */
function narrowScopes(granted: Scope[], scope: string | undefined): Scope[] | OAuthError {
  if (scope === undefined) return granted;
  const asked = scope.split(/\s+/).filter(Boolean);
  if (asked.length === 0)
    return new OAuthError('invalid_scope', 'scope holds only spaces; omit it to keep the granted scopes');
  const outside = asked.find((name) => !granted.includes(name as Scope));
  if (outside)
    return new OAuthError('invalid_scope', `a refresh cannot add scopes the grant does not have (${outside})`);
  return asked as Scope[];
}

/** A refusal: no tokens are stored. */
function refused(error: OAuthError): Issuance<OAuthError> {
  return { tokens: [], answer: error };
}

function text(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw repeatedParameter(name);
  return typeof value === 'string' && value !== '' ? value : undefined;
}
