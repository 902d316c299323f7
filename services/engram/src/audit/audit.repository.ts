import { AuditPage, AuditQuery, NewAuditEvent } from './audit-event';

/**
 * Where the audit log is kept: a port with no driver types, so another storage engine is an adapter
 * (sqlite-audit.repository.ts is the SQLite one). Appends are durable once the promise resolves.
 */
export interface AuditRepository {
  append(event: NewAuditEvent): Promise<void>;
  /** Newest first, `limit` at most. */
  find(query: AuditQuery): Promise<AuditPage>;
  /** Removes entries older than `before` (epoch ms); resolves with how many went. */
  pruneBefore(before: number): Promise<number>;
}

/** Nest injection token for the AuditRepository. */
export const AUDIT_REPOSITORY = Symbol('AUDIT_REPOSITORY');
