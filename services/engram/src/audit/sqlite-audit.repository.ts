import { PreparedStatements } from '../storage/prepared-statements';
import { SqliteDatabase } from '../storage/sqlite.connection';
import { AuditPage, AuditQuery, NewAuditEvent } from './audit-event';
import { AUDIT_COLUMNS, auditQuerySql, AuditRow, auditValues, toAuditEvent } from './audit-query.sql';
import { AuditRepository } from './audit.repository';

/** The audit log in the `audit_events` table (migration 015). */
export class SqliteAuditRepository implements AuditRepository {
  private readonly statements: PreparedStatements;

  constructor(private readonly db: SqliteDatabase) {
    this.statements = new PreparedStatements(db);
  }

  async append(event: NewAuditEvent): Promise<void> {
    this.statements
      .get(`INSERT INTO audit_events (${AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(...auditValues(event));
  }

  async find(query: AuditQuery): Promise<AuditPage> {
    const { sql, params } = auditQuerySql(query);
    const rows = this.db.prepare(sql).all(...params) as AuditRow[];
    const events = rows.slice(0, query.limit).map(toAuditEvent);
    return { events, nextCursor: rows.length > query.limit ? events[events.length - 1].id : null };
  }

  async pruneBefore(before: number): Promise<number> {
    return this.statements.get('DELETE FROM audit_events WHERE at < ?').run(before).changes;
  }
}
