import { PreparedStatements } from './prepared-statements';
import { SqliteDatabase } from './sqlite.connection';

export interface RecordedCancellation {
  seq: number;
  caller: string;
  requestId: string;
  requestedAtMs: number;
}

/** A cancellation nobody claimed is useless after this long: calls that old have ended or timed out. */
const KEEP_MS = 10 * 60_000;

/** Cancellations of MCP tool calls running in another process (see migration 018). */
export class McpCancellationRepository {
  private readonly statements: PreparedStatements;

  constructor(db: SqliteDatabase) {
    this.statements = new PreparedStatements(db);
  }

  /**
   * Records one and keeps at most `perCredential` of the credential's own (whatever namespaces it names),
   * so a credential flooding cancellations pushes out only its own rows; rows older than ten minutes go
   * for everyone.
   */
  record(credential: string, caller: string, requestId: string, nowMs: number, perCredential: number): void {
    this.statements
      .get('INSERT INTO mcp_cancellations (credential, caller, request_id, requested_at) VALUES (?, ?, ?, ?)')
      .run(credential, caller, requestId, nowMs);
    this.statements
      .get(
        `DELETE FROM mcp_cancellations WHERE credential = ? AND seq <= (
           SELECT seq FROM mcp_cancellations WHERE credential = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
      )
      .run(credential, credential, perCredential);
    this.statements.get('DELETE FROM mcp_cancellations WHERE requested_at < ?').run(nowMs - KEEP_MS);
  }

  latestSeq(): number {
    return (this.statements.get('SELECT COALESCE(MAX(seq), 0) FROM mcp_cancellations').pluck().get() as number) ?? 0;
  }

  since(seq: number): RecordedCancellation[] {
    return this.statements
      .get(
        `SELECT seq, caller, request_id AS requestId, requested_at AS requestedAtMs
           FROM mcp_cancellations WHERE seq > ? ORDER BY seq`,
      )
      .all(seq) as RecordedCancellation[];
  }
}
