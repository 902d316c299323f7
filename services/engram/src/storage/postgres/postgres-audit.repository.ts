import { AuditPage, AuditQuery, NewAuditEvent } from '../../audit/audit-event';
import { AUDIT_COLUMNS, auditQuerySql, AuditRow, auditValues, toAuditEvent } from '../../audit/audit-query.sql';
import { AuditRepository } from '../../audit/audit.repository';
import { numbered, PostgresDatabase } from './postgres.database';

/** The audit log in PostgreSQL's `audit_events` (migration 3), queried exactly as on SQLite. */
export class PostgresAuditRepository implements AuditRepository {
  constructor(private readonly db: PostgresDatabase) {}

  async append(event: NewAuditEvent): Promise<void> {
    await this.db.query(
      `INSERT INTO audit_events (${AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      auditValues(event),
    );
  }

  async find(query: AuditQuery): Promise<AuditPage> {
    const { sql, params } = auditQuerySql(query);
    const rows = await this.db.query<AuditRow>(numbered(sql), params);
    const events = rows.slice(0, query.limit).map(toAuditEvent);
    return { events, nextCursor: rows.length > query.limit ? events[events.length - 1].id : null };
  }

  async pruneBefore(before: number): Promise<number> {
    return (await this.db.query('DELETE FROM audit_events WHERE at < $1 RETURNING id', [before])).length;
  }
}
