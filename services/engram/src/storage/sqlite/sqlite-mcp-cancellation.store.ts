import { CANCELLATION_KEEP_MS, McpCancellationStore, RecordedCancellation } from '../mcp-cancellation.store';
import { PreparedStatements } from '../prepared-statements';
import { SqliteDatabase } from '../sqlite.connection';

/** McpCancellationStore on SQLite. */
export class SqliteMcpCancellationStore extends McpCancellationStore {
  private readonly statements: PreparedStatements;

  constructor(db: SqliteDatabase) {
    super();
    this.statements = new PreparedStatements(db);
  }

  async record(
    credential: string,
    caller: string,
    requestId: string,
    nowMs: number,
    perCredential: number,
  ): Promise<void> {
    this.statements
      .get('INSERT INTO mcp_cancellations (credential, caller, request_id, requested_at) VALUES (?, ?, ?, ?)')
      .run(credential, caller, requestId, nowMs);
    this.statements
      .get(
        `DELETE FROM mcp_cancellations WHERE credential = ? AND seq <= (
           SELECT seq FROM mcp_cancellations WHERE credential = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
      )
      .run(credential, credential, perCredential);
    this.statements.get('DELETE FROM mcp_cancellations WHERE requested_at < ?').run(nowMs - CANCELLATION_KEEP_MS);
  }

  async latestSeq(): Promise<number> {
    return (this.statements.get('SELECT COALESCE(MAX(seq), 0) FROM mcp_cancellations').pluck().get() as number) ?? 0;
  }

  async since(seq: number): Promise<RecordedCancellation[]> {
    return this.statements
      .get(
        `SELECT seq, caller, request_id AS requestId, requested_at AS requestedAtMs
           FROM mcp_cancellations WHERE seq > ? ORDER BY seq`,
      )
      .all(seq) as RecordedCancellation[];
  }
}
