/** Names of the changes Engram announces; SSE event names are these strings. */
export type EngramEventType =
  | 'memory_created'
  | 'memory_updated'
  | 'memory_deleted'
  | 'job_queued'
  | 'job_progress'
  | 'job_completed'
  | 'job_failed'
  | 'backup_created'
  | 'restore_completed'
  | 'reindex_completed';

/** One announced change: small by design (hash, preview, tags, type), never full memory content. */
export interface EngramEvent {
  /** Monotonically increasing per bus; SSE clients resume from it with Last-Event-ID. */
  id: number;
  type: EngramEventType;
  /** ISO-8601 time the change happened. */
  timestamp: string;
  namespace: string;
  payload: Record<string, unknown>;
}
