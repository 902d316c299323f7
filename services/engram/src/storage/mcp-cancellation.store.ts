export interface RecordedCancellation {
  seq: number;
  caller: string;
  requestId: string;
  requestedAtMs: number;
}

/** A cancellation nobody claimed is useless after this long: calls that old have ended or timed out. */
export const CANCELLATION_KEEP_MS = 10 * 60_000;

/** Cancellations of MCP tool calls running in another process (see SQLite migration 018). */
export abstract class McpCancellationStore {
  /**
   * Records one and keeps at most `perCredential` of the credential's own (whatever namespaces it names),
   * so a credential flooding cancellations pushes out only its own rows; rows older than
   * CANCELLATION_KEEP_MS go for everyone.
   */
  abstract record(
    credential: string,
    caller: string,
    requestId: string,
    nowMs: number,
    perCredential: number,
  ): Promise<void>;
  abstract latestSeq(): Promise<number>;
  /** The cancellations recorded after `seq`, oldest first. */
  abstract since(seq: number): Promise<RecordedCancellation[]>;
}
