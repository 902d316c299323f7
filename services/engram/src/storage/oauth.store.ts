export type ClientSource = 'registration' | 'metadata_document';

export interface RegisteredMetadata {
  redirect_uris: string[];
  token_endpoint_auth_method: 'none' | 'client_secret_post' | 'client_secret_basic';
  grant_types: string[];
  response_types: string[];
  client_name?: string;
  client_uri?: string;
  scope?: string;
}

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

/** A client as the operator sees it: with its live access tokens. */
export interface ClientGrants extends ClientRecord {
  activeTokens: number;
  namespaces: string[];
  lastTokenAt: number | null;
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

/**
 * What the service makes of a code or refresh token it was handed: the tokens to store (none when it
 * refuses) and its answer. Decided synchronously, inside the store's transaction.
 */
export interface Issuance<Answer> {
  tokens: TokenRecord[];
  answer: Answer;
}

/** How presenting a code or refresh token went; a replay has already revoked the family. */
export type Redemption<Answer> =
  { status: 'unknown' } | { status: 'replayed' } | { status: 'redeemed'; answer: Answer };

/** An authorization request waiting for the operator; the CSRF token only as a SHA-256 digest. */
export interface PendingConsentRecord {
  requestId: string;
  csrfHash: string;
  /** The authorization request, as JSON: any replica can show and approve it. */
  request: string;
  expiresAt: number;
  /** Who asked: the client address (an IPv6 /64), so a flood of consents pushes out only its own. */
  source: string;
}

/**
 * The OAuth authorization server's state (clients, codes, token families, pending consents), shared by
 * every replica: single use of codes and refresh tokens holds across processes.
 */
export abstract class OAuthStore {
  abstract insertClient(client: ClientRecord): Promise<void>;
  abstract findClient(clientId: string): Promise<ClientRecord | undefined>;
  /** Stores a client as another store holds it, its first approval time included (a migration). */
  abstract importClient(client: ClientRecord): Promise<void>;
  /** Every client with its live access tokens at `now`, oldest registration first. */
  abstract listClients(now: number): Promise<ClientGrants[]>;
  /** Deletes registrations never approved by `before`; returns how many. */
  abstract pruneUngrantedClients(before: number): Promise<number>;

  /**
   * The operator approved: in one transaction, a metadata-document client is saved (inserted, or its
   * metadata kept current), the code is stored, and the client's first approval time is set.
   */
  abstract recordApproval(client: ClientRecord, code: CodeRecord, at: number): Promise<void>;

  /**
   * Spends the client's code once, atomically across processes: the first redemption marks it used and
   * stores the tokens `issue` makes of it; any later one revokes every token of the code's family.
   */
  abstract redeemCode<Answer>(
    codeHash: string,
    clientId: string,
    at: number,
    issue: (code: CodeRecord) => Issuance<Answer>,
  ): Promise<Redemption<Answer>>;

  /**
   * Rotates the client's refresh token once, atomically across processes: when `issue` stores tokens the
   * presented one is marked rotated; a rotated or revoked one presented again revokes its whole family.
   */
  abstract rotateRefreshToken<Answer>(
    tokenHash: string,
    clientId: string,
    at: number,
    issue: (token: TokenRecord) => Issuance<Answer>,
  ): Promise<Redemption<Answer>>;

  abstract insertToken(token: TokenRecord): Promise<void>;
  abstract findToken(tokenHash: string): Promise<TokenRecord | undefined>;
  abstract revokeToken(tokenHash: string, at: number): Promise<void>;
  abstract revokeFamily(familyId: string, at: number): Promise<void>;
  /** Revokes every live token of the client; returns how many. */
  abstract revokeClientTokens(clientId: string, at: number): Promise<number>;
  /** Drops codes and tokens expired for a day. */
  abstract pruneExpired(now: number): Promise<void>;

  /**
   * Stores a pending consent; expired ones are dropped. Beyond `keep` live ones, the oldest of the source
   * holding the most goes (of sources holding as many, the one with the oldest consent).
   */
  abstract openConsent(consent: PendingConsentRecord, now: number, keep: number): Promise<void>;
  /** The consent's request while it is live and `csrfHash` is its CSRF digest; it stays pending. */
  abstract findConsent(requestId: string, csrfHash: string, now: number): Promise<string | undefined>;
  /** Like findConsent, and deletes it: of callers racing on any replica, exactly one gets the request. */
  abstract takeConsent(requestId: string, csrfHash: string, now: number): Promise<string | undefined>;
}
