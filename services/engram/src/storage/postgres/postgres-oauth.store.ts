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
import { numbered, PostgresDatabase, Queryable } from './postgres.database';

const SQL = Object.fromEntries(Object.entries(OAUTH_SQL).map(([name, sql]) => [name, numbered(sql)])) as Record<
  keyof typeof OAUTH_SQL,
  string
>;
const LIST_CLIENTS = numbered(listClientsSql("string_agg(DISTINCT t.namespace, ',')"));

/**
 * OAuthStore on PostgreSQL. A redemption claims its row with a conditional UPDATE (or SELECT … FOR
 * UPDATE) in a transaction: racing replicas wait on the row lock, and the loser sees it spent.
 */
export class PostgresOAuthStore extends OAuthStore {
  constructor(private readonly db: PostgresDatabase) {
    super();
  }

  async insertClient(client: ClientRecord): Promise<void> {
    await this.db.query(SQL.insertClient, clientInsertParams(client));
  }

  async importClient(client: ClientRecord): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(SQL.insertClient, clientInsertParams(client));
      if (client.grantedAt !== null) await tx.query(SQL.markGranted, [client.grantedAt, client.clientId]);
    });
  }

  async findClient(clientId: string): Promise<ClientRecord | undefined> {
    const [row] = await this.db.query<ClientRow>(SQL.findClient, [clientId]);
    return row ? toClientRecord(row) : undefined;
  }

  async listClients(now: number): Promise<ClientGrants[]> {
    return (await this.db.query<ClientGrantsRow>(LIST_CLIENTS, [now])).map(toClientGrants);
  }

  async pruneUngrantedClients(before: number): Promise<number> {
    return (await this.db.query(`${SQL.pruneUngrantedClients} RETURNING 1`, [before])).length;
  }

  async recordApproval(client: ClientRecord, code: CodeRecord, at: number): Promise<void> {
    await this.db.transaction(async (connection) => {
      if (client.source === 'metadata_document') {
        await connection.query(SQL.saveDocumentClient, documentClientParams(client));
      }
      await connection.query(SQL.insertCode, codeInsertParams(code));
      await connection.query(SQL.markGranted, [at, client.clientId]);
    });
  }

  async redeemCode<Answer>(
    codeHash: string,
    clientId: string,
    at: number,
    issue: (code: CodeRecord) => Issuance<Answer>,
  ): Promise<Redemption<Answer>> {
    return this.db.transaction(async (connection): Promise<Redemption<Answer>> => {
      const [claimed] = await connection.query<CodeRow>(SQL.claimCode, [at, codeHash, clientId]);
      if (!claimed) {
        const [spent] = await connection.query<CodeRow>(SQL.findCode, [codeHash, clientId]);
        if (!spent) return { status: 'unknown' };
        await connection.query(SQL.revokeFamily, [at, spent.family_id]);
        return { status: 'replayed' };
      }
      const { tokens, answer } = issue(toCodeRecord(claimed));
      await insertTokens(connection, tokens);
      return { status: 'redeemed', answer };
    });
  }

  async rotateRefreshToken<Answer>(
    tokenHash: string,
    clientId: string,
    at: number,
    issue: (token: TokenRecord) => Issuance<Answer>,
  ): Promise<Redemption<Answer>> {
    return this.db.transaction(async (connection): Promise<Redemption<Answer>> => {
      // The row lock makes a racing refresh wait, then read the row as this one left it.
      const [row] = await connection.query<TokenRow>(`${SQL.findRefreshToken} FOR UPDATE`, [tokenHash, clientId]);
      if (!row) return { status: 'unknown' };
      if (row.rotated_at !== null || row.revoked_at !== null) {
        await connection.query(SQL.revokeFamily, [at, row.family_id]);
        return { status: 'replayed' };
      }
      const { tokens, answer } = issue(toTokenRecord(row));
      if (tokens.length > 0) {
        await connection.query(SQL.markRotated, [at, tokenHash]);
        await insertTokens(connection, tokens);
      }
      return { status: 'redeemed', answer };
    });
  }

  async insertToken(token: TokenRecord): Promise<void> {
    await insertTokens(this.db, [token]);
  }

  async findToken(tokenHash: string): Promise<TokenRecord | undefined> {
    const [row] = await this.db.query<TokenRow>(SQL.findToken, [tokenHash]);
    return row ? toTokenRecord(row) : undefined;
  }

  async revokeToken(tokenHash: string, at: number): Promise<void> {
    await this.db.query(SQL.revokeToken, [at, tokenHash]);
  }

  async revokeFamily(familyId: string, at: number): Promise<void> {
    await this.db.query(SQL.revokeFamily, [at, familyId]);
  }

  async revokeClientTokens(clientId: string, at: number): Promise<number> {
    return (await this.db.query(`${SQL.revokeClientTokens} RETURNING 1`, [at, clientId, at])).length;
  }

  async pruneExpired(now: number): Promise<void> {
    await this.db.query(SQL.pruneCodes, [expiredHorizon(now)]);
    await this.db.query(SQL.pruneTokens, [expiredHorizon(now)]);
  }

  /**
   * The cap counts the whole table, so opens are taken one at a time (a transaction-level lock): racing
   * opens each counted the others' rows as absent and went past the cap, then each evicted for the
   * overshoot it saw, together emptying it of other sources' consents.
   */
  async openConsent(consent: PendingConsentRecord, now: number, keep: number): Promise<void> {
    await this.db.transaction(async (connection) => {
      await connection.query("SELECT pg_advisory_xact_lock(hashtext('engram.oauth_pending_consents'))");
      await connection.query(SQL.pruneConsents, [now]);
      const [{ pending }] = await connection.query<{ pending: string }>(SQL.countConsents);
      for (let over = Number(pending) - keep; over >= 0; over--) await connection.query(SQL.evictConsent);
      await connection.query(SQL.openConsent, [
        consent.requestId,
        consent.csrfHash,
        consent.request,
        consent.expiresAt,
        consent.source,
      ]);
    });
  }

  async findConsent(requestId: string, csrfHash: string, now: number): Promise<string | undefined> {
    const [row] = await this.db.query<{ authorization_request: string }>(SQL.findConsent, [requestId, csrfHash, now]);
    return row?.authorization_request;
  }

  async takeConsent(requestId: string, csrfHash: string, now: number): Promise<string | undefined> {
    const [row] = await this.db.query<{ authorization_request: string }>(SQL.takeConsent, [requestId, csrfHash, now]);
    return row?.authorization_request;
  }
}

async function insertTokens(connection: Queryable, tokens: TokenRecord[]): Promise<void> {
  for (const token of tokens) await connection.query(SQL.insertToken, tokenInsertParams(token));
}
