import { PreparedStatements } from '../storage/prepared-statements';
import { SqliteDatabase } from '../storage/sqlite.connection';

export type ClientSource = 'registration' | 'metadata_document';

export interface ClientRecord {
  clientId: string;
  secretHash: string | null;
  metadata: RegisteredMetadata;
  createdAt: number;
  /** Dynamic registration (a UUID client_id) or a client ID metadata document (an https client_id). */
  source: ClientSource;
  /** When the operator first approved the client; null while it never was. */
  grantedAt: number | null;
}

export interface RegisteredMetadata {
  redirect_uris: string[];
  token_endpoint_auth_method: 'none' | 'client_secret_post' | 'client_secret_basic';
  grant_types: string[];
  response_types: string[];
  client_name?: string;
  client_uri?: string;
  scope?: string;
}

export interface CodeRecord {
  codeHash: string;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scopes: string[];
  namespace: string;
  resource: string;
  expiresAt: number;
  usedAt: number | null;
  familyId: string;
}

export interface TokenRecord {
  tokenHash: string;
  kind: 'access' | 'refresh';
  clientId: string;
  familyId: string;
  scopes: string[];
  namespace: string;
  audience: string;
  createdAt: number;
  /** When the approval this token descends from was given (the family's absolute lifetime starts here). */
  grantedAt: number;
  expiresAt: number;
  rotatedAt: number | null;
  revokedAt: number | null;
}

/** OAuth clients, authorization codes and tokens; secrets only as SHA-256 digests. */
export class OAuthRepository {
  private readonly statements: PreparedStatements;

  constructor(private readonly db: SqliteDatabase) {
    this.statements = new PreparedStatements(db);
  }

  transaction<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }

  insertClient(client: ClientRecord): void {
    this.statements
      .get('INSERT INTO oauth_clients (client_id, secret_hash, metadata, created_at, source) VALUES (?, ?, ?, ?, ?)')
      .run(client.clientId, client.secretHash, JSON.stringify(client.metadata), client.createdAt, client.source);
  }

  /** A metadata-document client as last fetched: inserted on its first approval, its metadata kept current. */
  saveDocumentClient(client: ClientRecord): void {
    this.statements
      .get(
        `INSERT INTO oauth_clients (client_id, secret_hash, metadata, created_at, source)
         VALUES (?, NULL, ?, ?, 'metadata_document')
         ON CONFLICT (client_id) DO UPDATE SET metadata = excluded.metadata`,
      )
      .run(client.clientId, JSON.stringify(client.metadata), client.createdAt);
  }

  findClient(clientId: string): ClientRecord | undefined {
    const row = this.statements.get('SELECT * FROM oauth_clients WHERE client_id = ?').get(clientId) as
      | {
          client_id: string;
          secret_hash: string | null;
          metadata: string;
          created_at: number;
          source: ClientSource;
          granted_at: number | null;
        }
      | undefined;
    if (!row) return undefined;
    return {
      clientId: row.client_id,
      secretHash: row.secret_hash,
      metadata: JSON.parse(row.metadata) as RegisteredMetadata,
      createdAt: row.created_at,
      source: row.source,
      grantedAt: row.granted_at,
    };
  }

  /** The operator approved the client (the first approval is what counts). */
  markGranted(clientId: string, at: number): void {
    this.statements
      .get('UPDATE oauth_clients SET granted_at = coalesce(granted_at, ?) WHERE client_id = ?')
      .run(at, clientId);
  }

  /** Deletes registrations never approved by `before`; returns how many. */
  pruneUngrantedClients(before: number): number {
    return this.statements.get('DELETE FROM oauth_clients WHERE granted_at IS NULL AND created_at < ?').run(before)
      .changes;
  }

  insertCode(code: CodeRecord): void {
    this.statements
      .get(
        `INSERT INTO oauth_codes (code_hash, client_id, redirect_uri, code_challenge, scopes, namespace, resource,
           expires_at, family_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        code.codeHash,
        code.clientId,
        code.redirectUri,
        code.codeChallenge,
        code.scopes.join(' '),
        code.namespace,
        code.resource,
        code.expiresAt,
        code.familyId,
      );
  }

  findCode(codeHash: string): CodeRecord | undefined {
    const row = this.statements.get('SELECT * FROM oauth_codes WHERE code_hash = ?').get(codeHash) as
      Record<string, string | number | null> | undefined;
    if (!row) return undefined;
    return {
      codeHash: row.code_hash as string,
      clientId: row.client_id as string,
      redirectUri: row.redirect_uri as string,
      codeChallenge: row.code_challenge as string,
      scopes: (row.scopes as string).split(' ').filter(Boolean),
      namespace: row.namespace as string,
      resource: row.resource as string,
      expiresAt: row.expires_at as number,
      usedAt: row.used_at as number | null,
      familyId: row.family_id as string,
    };
  }

  markCodeUsed(codeHash: string, at: number): void {
    this.statements.get('UPDATE oauth_codes SET used_at = ? WHERE code_hash = ?').run(at, codeHash);
  }

  insertToken(token: TokenRecord): void {
    this.statements
      .get(
        `INSERT INTO oauth_tokens (token_hash, kind, client_id, family_id, scopes, namespace, audience, created_at,
           granted_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
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
      );
  }

  findToken(tokenHash: string): TokenRecord | undefined {
    const row = this.statements.get('SELECT * FROM oauth_tokens WHERE token_hash = ?').get(tokenHash) as
      Record<string, string | number | null> | undefined;
    if (!row) return undefined;
    return {
      tokenHash: row.token_hash as string,
      kind: row.kind as 'access' | 'refresh',
      clientId: row.client_id as string,
      familyId: row.family_id as string,
      scopes: (row.scopes as string).split(' ').filter(Boolean),
      namespace: row.namespace as string,
      audience: row.audience as string,
      createdAt: row.created_at as number,
      grantedAt: (row.granted_at ?? row.created_at) as number,
      expiresAt: row.expires_at as number,
      rotatedAt: row.rotated_at as number | null,
      revokedAt: row.revoked_at as number | null,
    };
  }

  markRotated(tokenHash: string, at: number): void {
    this.statements.get('UPDATE oauth_tokens SET rotated_at = ? WHERE token_hash = ?').run(at, tokenHash);
  }

  revokeToken(tokenHash: string, at: number): void {
    this.statements
      .get('UPDATE oauth_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL')
      .run(at, tokenHash);
  }

  revokeFamily(familyId: string, at: number): void {
    this.statements
      .get('UPDATE oauth_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL')
      .run(at, familyId);
  }

  listClients(
    now: number,
  ): (ClientRecord & { activeTokens: number; namespaces: string[]; lastTokenAt: number | null })[] {
    const clients = this.statements
      .get('SELECT client_id FROM oauth_clients ORDER BY created_at')
      .pluck()
      .all() as string[];
    const grants = this.statements.get(
      `SELECT count(*) AS active, group_concat(DISTINCT namespace) AS namespaces, max(created_at) AS last
       FROM oauth_tokens WHERE client_id = ? AND kind = 'access' AND revoked_at IS NULL AND expires_at > ?`,
    );
    return clients.map((clientId) => {
      const row = grants.get(clientId, now) as { active: number; namespaces: string | null; last: number | null };
      return {
        ...this.findClient(clientId)!,
        activeTokens: row.active,
        namespaces: row.namespaces ? row.namespaces.split(',') : [],
        lastTokenAt: row.last,
      };
    });
  }

  /** Revokes every token of the client; returns how many were still live. */
  revokeClientTokens(clientId: string, at: number): number {
    return this.statements
      .get('UPDATE oauth_tokens SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL AND expires_at > ?')
      .run(at, clientId, at).changes;
  }

  /** Drops codes and tokens expired for a day; called now and then, never on the request path's hot loop. */
  pruneExpired(now: number): void {
    const horizon = now - 86_400_000;
    this.statements.get('DELETE FROM oauth_codes WHERE expires_at < ?').run(horizon);
    this.statements.get('DELETE FROM oauth_tokens WHERE expires_at < ?').run(horizon);
  }
}
