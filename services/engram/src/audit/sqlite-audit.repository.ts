import { PreparedStatements } from '../storage/prepared-statements';
import { SqliteDatabase } from '../storage/sqlite.connection';
import { AuditAction, AuditEvent, AuditOutcome, AuditPage, AuditQuery, NewAuditEvent } from './audit-event';
import { AuditRepository } from './audit.repository';

interface AuditRow {
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

/** The audit log in the `audit_events` table (migration 015). */
export class SqliteAuditRepository implements AuditRepository {
  private readonly statements: PreparedStatements;

  constructor(private readonly db: SqliteDatabase) {
    this.statements = new PreparedStatements(db);
  }

  async append(event: NewAuditEvent): Promise<void> {
    this.statements
      .get(
        `INSERT INTO audit_events
           (at, action, outcome, principal_kind, principal_id, principal_name, namespace, client_address, target, details)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
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
      );
  }

  async find(query: AuditQuery): Promise<AuditPage> {
    const conditions: string[] = [];
    const values: (string | number)[] = [];
    const where = (condition: string, value: string | number | undefined) => {
      if (value === undefined) return;
      conditions.push(condition);
      values.push(value);
    };
    where('action = ?', query.action);
    where('principal_id = ?', query.principal);
    where('namespace = ?', query.namespace);
    where('at >= ?', query.since);
    where('at < ?', query.until);
    where('id < ?', query.before);
    const sql = `SELECT * FROM audit_events ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
                 ORDER BY id DESC LIMIT ?`;
    // One more than asked says whether an older page exists.
    const rows = this.db.prepare(sql).all(...values, query.limit + 1) as AuditRow[];
    const events = rows.slice(0, query.limit).map(toEvent);
    return { events, nextCursor: rows.length > query.limit ? events[events.length - 1].id : null };
  }

  async pruneBefore(before: number): Promise<number> {
    return this.statements.get('DELETE FROM audit_events WHERE at < ?').run(before).changes;
  }
}

function toEvent(row: AuditRow): AuditEvent {
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
