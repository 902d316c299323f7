import { ClientGrants, ClientRecord, ClientSource, CodeRecord, RegisteredMetadata, TokenRecord } from './oauth.store';

/** Rows of the OAuth tables; both engines store epoch milliseconds as integers and scopes space-separated. */
export interface ClientRow {
  client_id: string;
  secret_hash: string | null;
  metadata: string;
  created_at: number;
  source: ClientSource;
  granted_at: number | null;
}

export interface CodeRow {
  code_hash: string;
  client_id: string;
  redirect_uri: string;
  code_challenge: string;
  scopes: string;
  namespace: string;
  resource: string;
  expires_at: number;
  used_at: number | null;
  family_id: string;
}

export interface TokenRow {
  token_hash: string;
  kind: 'access' | 'refresh';
  client_id: string;
  family_id: string;
  scopes: string;
  namespace: string;
  audience: string;
  created_at: number;
  /** NULL only in SQLite rows older than migration 013. */
  granted_at: number | null;
  expires_at: number;
  rotated_at: number | null;
  revoked_at: number | null;
}

/** Codes and tokens stay this long past their expiry before they are deleted. */
const EXPIRED_KEEP_MS = 86_400_000;

/** The statements both adapters run, with SQLite's `?` placeholders (`numbered()` for PostgreSQL). */
export const OAUTH_SQL = {
  insertClient: `INSERT INTO oauth_clients (client_id, secret_hash, metadata, created_at, source) VALUES (?, ?, ?, ?, ?)`,
  saveDocumentClient: `INSERT INTO oauth_clients (client_id, secret_hash, metadata, created_at, source)
    VALUES (?, NULL, ?, ?, 'metadata_document')
    ON CONFLICT (client_id) DO UPDATE SET metadata = excluded.metadata`,
  findClient: 'SELECT * FROM oauth_clients WHERE client_id = ?',
  markGranted: 'UPDATE oauth_clients SET granted_at = coalesce(granted_at, ?) WHERE client_id = ?',
  pruneUngrantedClients: 'DELETE FROM oauth_clients WHERE granted_at IS NULL AND created_at < ?',
  insertCode: `INSERT INTO oauth_codes (code_hash, client_id, redirect_uri, code_challenge, scopes, namespace, resource,
    expires_at, family_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  /** Claims the code: only the first of racing redemptions gets the row back. */
  claimCode: 'UPDATE oauth_codes SET used_at = ? WHERE code_hash = ? AND client_id = ? AND used_at IS NULL RETURNING *',
  findCode: 'SELECT * FROM oauth_codes WHERE code_hash = ? AND client_id = ?',
  insertToken: `INSERT INTO oauth_tokens (token_hash, kind, client_id, family_id, scopes, namespace, audience, created_at,
    granted_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  findToken: 'SELECT * FROM oauth_tokens WHERE token_hash = ?',
  findRefreshToken: "SELECT * FROM oauth_tokens WHERE token_hash = ? AND client_id = ? AND kind = 'refresh'",
  /** Rotates the token: only the first of racing refreshes changes the row. */
  markRotated:
    'UPDATE oauth_tokens SET rotated_at = ? WHERE token_hash = ? AND rotated_at IS NULL AND revoked_at IS NULL',
  revokeToken: 'UPDATE oauth_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL',
  revokeFamily: 'UPDATE oauth_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL',
  revokeClientTokens:
    'UPDATE oauth_tokens SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL AND expires_at > ?',
  pruneCodes: 'DELETE FROM oauth_codes WHERE expires_at < ?',
  pruneTokens: 'DELETE FROM oauth_tokens WHERE expires_at < ?',
  openConsent: `INSERT INTO oauth_pending_consents (request_id, csrf_hash, authorization_request, expires_at, source)
    VALUES (?, ?, ?, ?, ?)`,
  pruneConsents: 'DELETE FROM oauth_pending_consents WHERE expires_at <= ?',
  countConsents: 'SELECT count(*) AS pending FROM oauth_pending_consents',
  /** The oldest consent of the source holding the most: a flood pushes out its own, not others'. */
  evictConsent: `DELETE FROM oauth_pending_consents WHERE request_id = (
    SELECT request_id FROM oauth_pending_consents WHERE source = (
      SELECT source FROM oauth_pending_consents GROUP BY source ORDER BY count(*) DESC, min(expires_at) LIMIT 1)
    ORDER BY expires_at LIMIT 1)`,
  findConsent: `SELECT authorization_request FROM oauth_pending_consents
    WHERE request_id = ? AND csrf_hash = ? AND expires_at > ?`,
  takeConsent: `DELETE FROM oauth_pending_consents WHERE request_id = ? AND csrf_hash = ? AND expires_at > ?
    RETURNING authorization_request`,
} as const;

export interface ClientGrantsRow extends ClientRow {
  active_tokens: number;
  namespaces: string | null;
  last_token_at: number | null;
}

/**
 * Every client with its live access tokens (the parameter is `now`); `namespaceList` is the engine's
 * aggregate of distinct `t.namespace` values joined by commas.
 */
export function listClientsSql(namespaceList: string): string {
  return `SELECT c.*, count(t.token_hash) AS active_tokens, ${namespaceList} AS namespaces,
      max(t.created_at) AS last_token_at
    FROM oauth_clients c
    LEFT JOIN oauth_tokens t ON t.client_id = c.client_id AND t.kind = 'access' AND t.revoked_at IS NULL
      AND t.expires_at > ?
    GROUP BY c.client_id
    ORDER BY c.created_at, c.client_id`;
}

export function toClientGrants(row: ClientGrantsRow): ClientGrants {
  return {
    ...toClientRecord(row),
    activeTokens: row.active_tokens,
    namespaces: row.namespaces ? row.namespaces.split(',').sort() : [],
    lastTokenAt: row.last_token_at,
  };
}

/** The age past which pruneExpired deletes codes and tokens. */
export function expiredHorizon(now: number): number {
  return now - EXPIRED_KEEP_MS;
}

export function clientInsertParams(client: ClientRecord): unknown[] {
  return [client.clientId, client.secretHash, JSON.stringify(client.metadata), client.createdAt, client.source];
}

export function documentClientParams(client: ClientRecord): unknown[] {
  return [client.clientId, JSON.stringify(client.metadata), client.createdAt];
}

export function codeInsertParams(code: CodeRecord): unknown[] {
  return [
    code.codeHash,
    code.clientId,
    code.redirectUri,
    code.codeChallenge,
    code.scopes.join(' '),
    code.namespace,
    code.resource,
    code.expiresAt,
    code.familyId,
  ];
}

export function tokenInsertParams(token: TokenRecord): unknown[] {
  return [
    token.tokenHash,
    token.kind,
    token.clientId,
    token.familyId,
    token.scopes.join(' '),
    token.namespace,
    token.audience,
    token.createdAt,
    token.grantedAt,
    token.expiresAt,
  ];
}

export function toClientRecord(row: ClientRow): ClientRecord {
  return {
    clientId: row.client_id,
    secretHash: row.secret_hash,
    metadata: JSON.parse(row.metadata) as RegisteredMetadata,
    createdAt: row.created_at,
    source: row.source,
    grantedAt: row.granted_at,
  };
}

export function toCodeRecord(row: CodeRow): CodeRecord {
  return {
    codeHash: row.code_hash,
    clientId: row.client_id,
    redirectUri: row.redirect_uri,
    codeChallenge: row.code_challenge,
    scopes: splitScopes(row.scopes),
    namespace: row.namespace,
    resource: row.resource,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
    familyId: row.family_id,
  };
}

export function toTokenRecord(row: TokenRow): TokenRecord {
  return {
    tokenHash: row.token_hash,
    kind: row.kind,
    clientId: row.client_id,
    familyId: row.family_id,
    scopes: splitScopes(row.scopes),
    namespace: row.namespace,
    audience: row.audience,
    createdAt: row.created_at,
    grantedAt: row.granted_at ?? row.created_at,
    expiresAt: row.expires_at,
    rotatedAt: row.rotated_at,
    revokedAt: row.revoked_at,
  };
}

function splitScopes(scopes: string): string[] {
  return scopes.split(' ').filter(Boolean);
}
