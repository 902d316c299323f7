import { CANCELLATION_KEEP_MS, McpCancellationStore, RecordedCancellation } from '../mcp-cancellation.store';
import { lockKeyForTransaction, PostgresDatabase } from './postgres.database';

/**
 * McpCancellationStore on PostgreSQL: the insert and both trims in one transaction, one credential's at a
 * time (a transaction-level lock), so racing records cannot each trim without the others' rows and
 * together keep more than the bound.
 */
export class PostgresMcpCancellationStore extends McpCancellationStore {
  constructor(private readonly db: PostgresDatabase) {
    super();
  }

  async record(
    credential: string,
    caller: string,
    requestId: string,
    nowMs: number,
    perCredential: number,
  ): Promise<void> {
    await this.db.transaction(async (client) => {
      await lockKeyForTransaction(client, 'mcp_cancellations', credential);
      await client.query(
        'INSERT INTO mcp_cancellations (credential, caller, request_id, requested_at) VALUES ($1, $2, $3, $4)',
        [credential, caller, requestId, nowMs],
      );
      await client.query(
        `DELETE FROM mcp_cancellations WHERE credential = $1 AND seq <= (
           SELECT seq FROM mcp_cancellations WHERE credential = $1 ORDER BY seq DESC LIMIT 1 OFFSET $2)`,
        [credential, perCredential],
      );
      await client.query('DELETE FROM mcp_cancellations WHERE requested_at < $1', [nowMs - CANCELLATION_KEEP_MS]);
    });
  }

  async latestSeq(): Promise<number> {
    const [row] = await this.db.query<{ seq: number }>('SELECT COALESCE(MAX(seq), 0) AS seq FROM mcp_cancellations');
    return row.seq;
  }

  async since(seq: number): Promise<RecordedCancellation[]> {
    return this.db.query<RecordedCancellation>(
      `SELECT seq, caller, request_id AS "requestId", requested_at AS "requestedAtMs"
         FROM mcp_cancellations WHERE seq > $1 ORDER BY seq`,
      [seq],
    );
  }
}
