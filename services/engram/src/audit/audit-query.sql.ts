import { AuditAction, AuditEvent, AuditOutcome, AuditQuery } from './audit-event';

/** An `audit_events` row, the same on every storage engine (details as JSON text). */
export interface AuditRow {
  id: number;
  at: number;
  action: string;
  outcome: string;
  principal_kind: string;
  principal_id: string;
  principal_name: string | null;
  namespace: string | null;
  client_address: string;
  target: string | null;
  details: string | null;
}

/**
 * The page a query asks for, newest first, with `?` placeholders (PostgreSQL renumbers them). One more
 * row than the limit is read: it says whether an older page exists.
 */
export function auditQuerySql(query: AuditQuery): { sql: string; params: (string | number)[] } {
  const conditions: string[] = [];
  const params: (string | number)[] = [];
  const where = (condition: string, value: string | number | undefined) => {
    if (value === undefined) return;
    conditions.push(condition);
    params.push(value);
  };
  where('action = ?', query.action);
  where('principal_id = ?', query.principal);
  where('namespace = ?', query.namespace);
  where('at >= ?', query.since);
  where('at < ?', query.until);
  where('id < ?', query.before);
  params.push(query.limit + 1);
  const sql = `SELECT * FROM audit_events ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
               ORDER BY id DESC LIMIT ?`;
  return { sql, params };
}

/** The values an `audit_events` insert takes, in column order. */
export const AUDIT_COLUMNS =
  'at, action, outcome, principal_kind, principal_id, principal_name, namespace, client_address, target, details';

export function auditValues(event: Omit<AuditEvent, 'id'>): unknown[] {
  return [
    event.at,
    event.action,
    event.outcome,
    event.principal.kind,
    event.principal.id,
    event.principal.name,
    event.namespace,
    event.clientAddress,
    event.target,
    Object.keys(event.details).length === 0 ? null : JSON.stringify(event.details),
  ];
}

export function toAuditEvent(row: AuditRow): AuditEvent {
  return {
    id: row.id,
    at: row.at,
    action: row.action as AuditAction,
    outcome: row.outcome as AuditOutcome,
    principal: { kind: row.principal_kind, id: row.principal_id, name: row.principal_name },
    namespace: row.namespace,
    clientAddress: row.client_address,
    target: row.target,
    details: row.details === null ? {} : (JSON.parse(row.details) as Record<string, unknown>),
  };
}
