/** Names of the changes Engram announces, declared once; SSE event names are these strings. */
export const ENGRAM_EVENT_TYPES = [
  'memory_created',
  'memory_updated',
  'memory_deleted',
  'memory_superseded',
  'job_queued',
  'job_progress',
  'job_completed',
  'job_failed',
  'backup_created',
  'restore_completed',
  'reindex_completed',
  'memory_file_changed',
] as const;

export type EngramEventType = (typeof ENGRAM_EVENT_TYPES)[number];

/**
 * Whether events of `type` are kept for replay (Last-Event-ID, GET /api/events/recent). Progress is only
 * sent live: each report supersedes the one before, a job's current progress is at GET /api/jobs/:id, and
 * a long job reports often enough to push every other event out of what is kept.
 */
export function keptForReplay(type: EngramEventType): boolean {
  return type !== 'job_progress';
}

/**
 * The namespace of events about the whole store (backups, restore, reindex and their jobs), whose
 * figures cover every namespace: only streams of credentials not bound to a namespace receive them.
 * It cannot be a namespace's name.
 */
export const STORE_WIDE = '*';

/** One announced change: small by design (hash, preview, tags, type), never full memory content. */
export interface EngramEvent {
  /**
   * Monotonically increasing within its namespace across the whole deployment, each namespace numbering its
   * own (see event-ids.ts); SSE clients resume from it with Last-Event-ID (see StreamCursor).
   */
  id: number;
  type: EngramEventType;
  /** ISO-8601 time the change happened. */
  timestamp: string;
  namespace: string;
  payload: Record<string, unknown>;
}

/** An event before it has its id: ids are handed out where events are ordered (this process, or Redis). */
export type EventDraft = Omit<EngramEvent, 'id'>;
