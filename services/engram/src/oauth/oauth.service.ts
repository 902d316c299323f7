import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { AuditAction } from '../audit/audit-event';
import { AuditService } from '../audit/audit.service';
import { AccessTokenResolver } from '../auth/authenticator';
import { isNamespace } from '../auth/namespace';
import { Principal } from '../auth/request-context';
import { Scope } from '../auth/scopes';
import { newSecret, secretDigest } from '../auth/secrets';
import { NotFound } from '../common/domain-errors';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { SqliteDatabase } from '../storage/sqlite.connection';
import { SQLITE_DATABASE } from '../storage/storage.module';
import { OAuthError } from './oauth.errors';
import { ClientRecord, OAuthRepository, RegisteredMetadata } from './oauth.repository';
import { redirectUriMatches, redirectUriProblem } from './redirect-uri';

/** Scopes a connector may be granted; `admin` stays with API keys. */
export const OAUTH_SCOPES: readonly Scope[] = ['read', 'write'];
const CODE_TTL_MS = 60_000;

const ClientMetadata = z.object({
  redirect_uris: z.array(z.string()).min(1, 'redirect_uris must hold at least one URI').max(20),
  token_endpoint_auth_method: z.enum(['none', 'client_secret_post', 'client_secret_basic']).default('none'),
  grant_types: z.array(z.string()).default(['authorization_code', 'refresh_token']),
  response_types: z.array(z.string()).default(['code']),
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
  refresh_token: string;
  scope: string;
}

/**
 * The authorization server behind MCP's OAuth 2.1 profile: dynamic client registration, authorization
 * codes with PKCE S256 only, access tokens bound to the /mcp resource, rotating refresh tokens whose
 * reuse revokes their whole family, and revocation.
 */
@Injectable()
export class OAuthService implements AccessTokenResolver {
  private readonly store: OAuthRepository;
  readonly issuer: string;
  readonly resource: string;

  constructor(
    @Inject(SQLITE_DATABASE) db: SqliteDatabase,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audit: AuditService,
  ) {
    this.store = new OAuthRepository(db);
    this.issuer = config.publicUrl;
    this.resource = `${config.publicUrl}/mcp`;
    this.store.pruneExpired(Date.now());
  }

  register(body: unknown, now = Date.now()) {
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
    const unsupported = metadata.grant_types.find((grant) => !['authorization_code', 'refresh_token'].includes(grant));
    if (unsupported) throw new OAuthError('invalid_client_metadata', `grant_types: ${unsupported} is not supported`);
    if (metadata.response_types.some((type) => type !== 'code')) {
      throw new OAuthError('invalid_client_metadata', 'response_types: only "code" is supported');
    }
    const confidential = metadata.token_endpoint_auth_method !== 'none';
    const secret = confidential ? newSecret('egc_') : undefined;
    const client: ClientRecord = {
      clientId: randomUUID(),
      secretHash: secret ? secretDigest(secret) : null,
      metadata,
      createdAt: now,
    };
    this.store.insertClient(client);
    return {
      client_id: client.clientId,
      client_id_issued_at: Math.floor(now / 1000),
      ...(secret ? { client_secret: secret, client_secret_expires_at: 0 } : {}),
      ...metadata,
    };
  }

  /**
   * The client and redirect URI of an authorization request. Errors here are shown to the user, never
   * redirected: an unverified redirect URI must not receive anything (RFC 6749 §4.1.2.1).
   */
  authorizationTarget(query: Record<string, unknown>): { client: ClientRecord; redirectUri: string } {
    const clientId = text(query, 'client_id');
    const client = clientId ? this.store.findClient(clientId) : undefined;
    if (!client) throw new OAuthError('invalid_client', 'client_id is missing or unknown; register the client first');
    const registered = client.metadata.redirect_uris;
    const redirectUri = text(query, 'redirect_uri') ?? (registered.length === 1 ? registered[0] : undefined);
    if (!redirectUri || !redirectUriMatches(redirectUri, registered)) {
      throw new OAuthError('invalid_request', 'redirect_uri does not match a registered redirect URI');
    }
    return { client, redirectUri };
  }

  /** The rest of an authorization request; errors here go back to the (verified) redirect URI. */
  validateAuthorization(query: Record<string, unknown>): AuthorizationRequest {
    const { client, redirectUri } = this.authorizationTarget(query);
    if (text(query, 'response_type') !== 'code')
      throw new OAuthError('invalid_request', 'response_type must be "code"');
    const challenge = text(query, 'code_challenge');
    if (text(query, 'code_challenge_method') !== 'S256' || !challenge || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
      throw new OAuthError(
        'invalid_request',
        'PKCE is required: code_challenge (S256, base64url) and code_challenge_method=S256',
      );
    }
    const resource = text(query, 'resource') ?? this.resource;
    if (resource !== this.resource) throw new OAuthError('invalid_target', `resource must be ${this.resource}`);
    return {
      client,
      redirectUri,
      codeChallenge: challenge,
      state: text(query, 'state'),
      scopes: this.requestedScopes(text(query, 'scope')),
      resource,
    };
  }

  /** The operator approved: a single-use code for the client's redirect. */
  issueCode(request: AuthorizationRequest, scopes: Scope[], namespace: string, now = Date.now()): string {
    if (!isNamespace(namespace)) throw new OAuthError('invalid_request', 'namespace is not a valid namespace name');
    const code = newSecret('egz_');
    this.store.insertCode({
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
    });
    return code;
  }

  token(body: Record<string, string | undefined>, basicAuth: string | undefined, now = Date.now()): TokenResponse {
    const client = this.authenticateClient(body, basicAuth);
    if (body.grant_type === 'authorization_code') return this.exchangeCode(client, body, now);
    if (body.grant_type === 'refresh_token') return this.refresh(client, body, now);
    throw new OAuthError('unsupported_grant_type', 'grant_type must be authorization_code or refresh_token');
  }

  /** RFC 7009: always succeeds for the caller; a refresh token takes its whole family with it. */
  revoke(token: string | undefined, clientId: string | undefined, now = Date.now()): void {
    if (!token) throw new OAuthError('invalid_request', 'token is required');
    const record = this.store.findToken(secretDigest(token));
    if (!record || (clientId !== undefined && record.clientId !== clientId)) return;
    if (record.kind === 'refresh') this.store.revokeFamily(record.familyId, now);
    else this.store.revokeToken(record.tokenHash, now);
  }

  resolve(token: string, audience: string, now = Date.now()): Principal | undefined {
    if (!token.startsWith('ega_')) return undefined;
    const record = this.store.findToken(secretDigest(token));
    if (!record || record.kind !== 'access' || record.revokedAt !== null || record.expiresAt <= now) return undefined;
    if (record.audience !== audience) return undefined;
    return { kind: 'oauth', id: record.clientId, scopes: record.scopes as Scope[], boundNamespace: record.namespace };
  }

  /** Registered clients with their live grants, for the operator. */
  listClients(now = Date.now()) {
    return this.store.listClients(now).map((client) => ({
      client_id: client.clientId,
      client_name: client.metadata.client_name ?? null,
      redirect_uris: client.metadata.redirect_uris,
      registered_at: new Date(client.createdAt).toISOString(),
      active_tokens: client.activeTokens,
      namespaces: client.namespaces,
      last_token_at: client.lastTokenAt === null ? null : new Date(client.lastTokenAt).toISOString(),
    }));
  }

  /** The operator cuts a connector off: every token it holds stops working; it must be approved again. */
  revokeClient(clientId: string, now = Date.now()): { client_id: string; revoked_tokens: number } {
    if (!this.store.findClient(clientId)) throw new NotFound(`No OAuth client with id ${clientId}`);
    const revoked = { client_id: clientId, revoked_tokens: this.store.revokeClientTokens(clientId, now) };
    this.audit.record({
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

  private authenticateClient(body: Record<string, string | undefined>, basicAuth: string | undefined): ClientRecord {
    let clientId = body.client_id;
    let secret = body.client_secret;
    if (basicAuth) {
      const decoded = Buffer.from(basicAuth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new OAuthError('invalid_client', 'malformed Basic client credentials', 401);
      clientId = decodeURIComponent(decoded.slice(0, colon));
      secret = decodeURIComponent(decoded.slice(colon + 1));
    }
    const client = clientId ? this.store.findClient(clientId) : undefined;
    if (!client) throw new OAuthError('invalid_client', 'client_id is missing or unknown', 401);
    if (client.secretHash !== null) {
      const presented = Buffer.from(secretDigest(secret ?? ''), 'hex');
      if (!timingSafeEqual(presented, Buffer.from(client.secretHash, 'hex'))) {
        throw new OAuthError('invalid_client', 'client authentication failed', 401);
      }
    }
    return client;
  }

  private exchangeCode(client: ClientRecord, body: Record<string, string | undefined>, now: number): TokenResponse {
    if (!body.code || !body.code_verifier)
      throw new OAuthError('invalid_request', 'code and code_verifier are required');
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(body.code_verifier)) {
      throw new OAuthError('invalid_request', 'code_verifier must be 43-128 characters of A-Z a-z 0-9 - . _ ~');
    }
    // Failures that revoke must commit: the transaction returns them, and they are thrown after it.
    const outcome = this.store.transaction((): TokenResponse | OAuthError => {
      const code = this.store.findCode(secretDigest(body.code!));
      if (!code || code.clientId !== client.clientId)
        return new OAuthError('invalid_grant', 'unknown authorization code');
      if (code.usedAt !== null) {
        // A code presented twice was intercepted somewhere: what it produced is revoked too.
        this.store.revokeFamily(code.familyId, now);
        return new OAuthError('invalid_grant', 'authorization code already used');
      }
      this.store.markCodeUsed(code.codeHash, now);
      if (code.expiresAt <= now) return new OAuthError('invalid_grant', 'authorization code expired');
      if (body.redirect_uri !== undefined && body.redirect_uri !== code.redirectUri) {
        return new OAuthError('invalid_grant', 'redirect_uri differs from the authorization request');
      }
      if (body.resource !== undefined && body.resource !== code.resource) {
        return new OAuthError('invalid_target', `resource must be ${code.resource}`);
      }
      const challenge = createHash('sha256').update(body.code_verifier!).digest('base64url');
      if (challenge !== code.codeChallenge) {
        return new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge');
      }
      return this.issueTokens(
        client.clientId,
        code.familyId,
        code.scopes as Scope[],
        code.namespace,
        code.resource,
        now,
      );
    });
    if (outcome instanceof OAuthError) throw outcome;
    return outcome;
  }

  private refresh(client: ClientRecord, body: Record<string, string | undefined>, now: number): TokenResponse {
    if (!body.refresh_token) throw new OAuthError('invalid_request', 'refresh_token is required');
    const outcome = this.store.transaction((): TokenResponse | OAuthError => {
      const record = this.store.findToken(secretDigest(body.refresh_token!));
      if (!record || record.kind !== 'refresh' || record.clientId !== client.clientId) {
        return new OAuthError('invalid_grant', 'unknown refresh token');
      }
      if (record.rotatedAt !== null || record.revokedAt !== null) {
        // Reuse of a rotated token means two parties hold it: end the whole family.
        this.store.revokeFamily(record.familyId, now);
        return new OAuthError('invalid_grant', 'refresh token was already used or revoked; sign in again');
      }
      if (record.expiresAt <= now) return new OAuthError('invalid_grant', 'refresh token expired; sign in again');
      let scopes = record.scopes as Scope[];
      if (body.scope !== undefined) {
        const asked = body.scope.split(/\s+/).filter(Boolean) as Scope[];
        if (asked.some((scope) => !scopes.includes(scope))) {
          return new OAuthError('invalid_scope', 'a refresh cannot add scopes the grant does not have');
        }
        scopes = asked;
      }
      this.store.markRotated(record.tokenHash, now);
      return this.issueTokens(client.clientId, record.familyId, scopes, record.namespace, record.audience, now);
    });
    if (outcome instanceof OAuthError) throw outcome;
    return outcome;
  }

  private issueTokens(
    clientId: string,
    familyId: string,
    scopes: Scope[],
    namespace: string,
    audience: string,
    now: number,
  ): TokenResponse {
    const access = newSecret('ega_');
    const refresh = newSecret('egr_');
    const common = {
      clientId,
      familyId,
      scopes,
      namespace,
      audience,
      createdAt: now,
      rotatedAt: null,
      revokedAt: null,
    };
    const accessMs = this.config.oauth.accessTokenSeconds * 1000;
    this.store.insertToken({ ...common, tokenHash: secretDigest(access), kind: 'access', expiresAt: now + accessMs });
    this.store.insertToken({
      ...common,
      tokenHash: secretDigest(refresh),
      kind: 'refresh',
      expiresAt: now + this.config.oauth.refreshTokenDays * 86_400_000,
    });
    return {
      access_token: access,
      token_type: 'Bearer',
      expires_in: this.config.oauth.accessTokenSeconds,
      refresh_token: refresh,
      scope: scopes.join(' '),
    };
  }
}

function text(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
