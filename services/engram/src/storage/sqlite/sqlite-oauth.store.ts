import {
  clientInsertParams,
  ClientGrantsRow,
  ClientRow,
  codeInsertParams,
  CodeRow,
  documentClientParams,
  expiredHorizon,
  listClientsSql,
  OAUTH_SQL,
  toClientGrants,
  toClientRecord,
  toCodeRecord,
  tokenInsertParams,
  TokenRow,
  toTokenRecord,
} from '../oauth.sql';
import {
  ClientGrants,
  ClientRecord,
  CodeRecord,
  Issuance,
  OAuthStore,
  PendingConsentRecord,
  Redemption,
  TokenRecord,
} from '../oauth.store';
import { PreparedStatements } from '../prepared-statements';
import { SqliteDatabase } from '../sqlite.connection';

/**
 * OAuthStore on SQLite. Redemptions run in an immediate transaction: it takes the write lock first, so
 * processes sharing the file redeem one at a time.
 */
export class SqliteOAuthStore extends OAuthStore {
  private readonly statements: PreparedStatements;

  constructor(private readonly db: SqliteDatabase) {
    super();
    this.statements = new PreparedStatements(db);
  }

  async insertClient(client: ClientRecord): Promise<void> {
    this.statements.get(OAUTH_SQL.insertClient).run(...clientInsertParams(client));
  }

  async importClient(client: ClientRecord): Promise<void> {
    this.db.transaction(() => {
      this.statements.get(OAUTH_SQL.insertClient).run(...clientInsertParams(client));
      if (client.grantedAt !== null) this.statements.get(OAUTH_SQL.markGranted).run(client.grantedAt, client.clientId);
    })();
  }

  async findClient(clientId: string): Promise<ClientRecord | undefined> {
    const row = this.statements.get(OAUTH_SQL.findClient).get(clientId) as ClientRow | undefined;
    return row ? toClientRecord(row) : undefined;
  }

  async listClients(now: number): Promise<ClientGrants[]> {
    const rows = this.statements.get(listClientsSql('group_concat(DISTINCT t.namespace)')).all(now);
    return (rows as ClientGrantsRow[]).map(toClientGrants);
  }

  async pruneUngrantedClients(before: number): Promise<number> {
    return this.statements.get(OAUTH_SQL.pruneUngrantedClients).run(before).changes;
  }

  async recordApproval(client: ClientRecord, code: CodeRecord, at: number): Promise<void> {
    this.immediate(() => {
      if (client.source === 'metadata_document') {
        this.statements.get(OAUTH_SQL.saveDocumentClient).run(...documentClientParams(client));
      }
      this.statements.get(OAUTH_SQL.insertCode).run(...codeInsertParams(code));
      this.statements.get(OAUTH_SQL.markGranted).run(at, client.clientId);
    });
  }

  async redeemCode<Answer>(
    codeHash: string,
    clientId: string,
    at: number,
    issue: (code: CodeRecord) => Issuance<Answer>,
  ): Promise<Redemption<Answer>> {
    return this.immediate((): Redemption<Answer> => {
      const claimed = this.statements.get(OAUTH_SQL.claimCode).get(at, codeHash, clientId) as CodeRow | undefined;
      if (!claimed) {
        const spent = this.statements.get(OAUTH_SQL.findCode).get(codeHash, clientId) as CodeRow | undefined;
        if (!spent) return { status: 'unknown' };
        this.statements.get(OAUTH_SQL.revokeFamily).run(at, spent.family_id);
        return { status: 'replayed' };
      }
      const { tokens, answer } = issue(toCodeRecord(claimed));
      this.insertTokens(tokens);
      return { status: 'redeemed', answer };
    });
  }

  async rotateRefreshToken<Answer>(
    tokenHash: string,
    clientId: string,
    at: number,
    issue: (token: TokenRecord) => Issuance<Answer>,
  ): Promise<Redemption<Answer>> {
    return this.immediate((): Redemption<Answer> => {
      const row = this.statements.get(OAUTH_SQL.findRefreshToken).get(tokenHash, clientId) as TokenRow | undefined;
      if (!row) return { status: 'unknown' };
      if (row.rotated_at !== null || row.revoked_at !== null) {
        this.statements.get(OAUTH_SQL.revokeFamily).run(at, row.family_id);
        return { status: 'replayed' };
      }
      const { tokens, answer } = issue(toTokenRecord(row));
      if (tokens.length > 0) {
        this.statements.get(OAUTH_SQL.markRotated).run(at, tokenHash);
        this.insertTokens(tokens);
      }
      return { status: 'redeemed', answer };
    });
  }

  async insertToken(token: TokenRecord): Promise<void> {
    this.insertTokens([token]);
  }

  async findToken(tokenHash: string): Promise<TokenRecord | undefined> {
    const row = this.statements.get(OAUTH_SQL.findToken).get(tokenHash) as TokenRow | undefined;
    return row ? toTokenRecord(row) : undefined;
  }

  async revokeToken(tokenHash: string, at: number): Promise<void> {
    this.statements.get(OAUTH_SQL.revokeToken).run(at, tokenHash);
  }

  async revokeFamily(familyId: string, at: number): Promise<void> {
    this.statements.get(OAUTH_SQL.revokeFamily).run(at, familyId);
  }

  async revokeClientTokens(clientId: string, at: number): Promise<number> {
    return this.statements.get(OAUTH_SQL.revokeClientTokens).run(at, clientId, at).changes;
  }

  async pruneExpired(now: number): Promise<void> {
    this.statements.get(OAUTH_SQL.pruneCodes).run(expiredHorizon(now));
    this.statements.get(OAUTH_SQL.pruneTokens).run(expiredHorizon(now));
  }

  async openConsent(consent: PendingConsentRecord, now: number, keep: number): Promise<void> {
    this.immediate(() => {
      this.statements.get(OAUTH_SQL.pruneConsents).run(now);
      const pending = this.statements.get(OAUTH_SQL.countConsents).pluck().get() as number;
      for (let over = pending - keep; over >= 0; over--) this.statements.get(OAUTH_SQL.evictConsent).run();
      this.statements
        .get(OAUTH_SQL.openConsent)
        .run(consent.requestId, consent.csrfHash, consent.request, consent.expiresAt, consent.source);
    });
  }

  async findConsent(requestId: string, csrfHash: string, now: number): Promise<string | undefined> {
    return this.statements.get(OAUTH_SQL.findConsent).pluck().get(requestId, csrfHash, now) as string | undefined;
  }

  async takeConsent(requestId: string, csrfHash: string, now: number): Promise<string | undefined> {
    return this.statements.get(OAUTH_SQL.takeConsent).pluck().get(requestId, csrfHash, now) as string | undefined;
  }

  private insertTokens(tokens: TokenRecord[]): void {
    for (const token of tokens) this.statements.get(OAUTH_SQL.insertToken).run(...tokenInsertParams(token));
  }

  private immediate<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }
}
