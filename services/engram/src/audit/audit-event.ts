/** The security-relevant actions the audit log records, declared once. */
export enum AuditAction {
  KeyCreate = 'key.create',
  KeyRevoke = 'key.revoke',
  /** The operator's consent to a connector: success (approved), failure (sign-in failed), denied. */
  OAuthApprove = 'oauth.approve',
  OAuthRevoke = 'oauth.revoke',
  Backup = 'backup',
  BackupDelete = 'backup.delete',
  Restore = 'restore',
  Reindex = 'reindex',
  Import = 'import',
  ConflictScan = 'conflicts.scan',
  Consolidate = 'consolidation.run',
  ConsolidationApply = 'consolidation.apply',
  ConsolidationCleanup = 'consolidation.cleanup',
  MemoryDelete = 'memories.delete',
  MemoriesDeleteByFilter = 'memories.delete_by_filter',
  MemoryRestore = 'memories.restore',
  MemoryPurge = 'memories.purge',
  AgentFilesChange = 'agent.files_change',
}

export const AUDIT_ACTIONS: readonly AuditAction[] = Object.values(AuditAction);

/** `requested`: a job was queued (its end is another entry with the job id as target). */
export const AUDIT_OUTCOMES = ['requested', 'success', 'failure', 'denied'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** One entry: who (principal, client address), what (action, target, namespace), how it went. */
export interface AuditEvent {
  id: number;
  /** Epoch milliseconds. */
  at: number;
  action: AuditAction;
  outcome: AuditOutcome;
  principal: { kind: string; id: string; name: string | null };
  /** Null for actions on the whole store. */
  namespace: string | null;
  clientAddress: string;
  target: string | null;
  /** Small facts (ids, counts, scopes, paths); never secrets or memory content. */
  details: Record<string, unknown>;
}

export type NewAuditEvent = Omit<AuditEvent, 'id'>;

/** A page of the log, newest first; every filter is optional. */
export interface AuditQuery {
  action?: AuditAction;
  /** A principal id (key id, OAuth client id, `MCP_API_KEY`, `local`, …). */
  principal?: string;
  namespace?: string;
  /** Epoch milliseconds, inclusive. */
  since?: number;
  /** Epoch milliseconds, exclusive. */
  until?: number;
  /** Entries older than this id (the previous page's `nextCursor`). */
  before?: number;
  limit: number;
}

export interface AuditPage {
  events: AuditEvent[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextCursor: number | null;
}
