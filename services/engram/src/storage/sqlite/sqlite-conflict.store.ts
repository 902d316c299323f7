import { ConflictRow, judgeColumn, toConflictRecord } from '../conflict.sql';
import { ConflictJudgement, ConflictRecord, ConflictStatus, ConflictStore, NewConflict } from '../conflict.store';
import { PreparedStatements } from '../prepared-statements';
import { SqliteDatabase } from '../sqlite.connection';

/** ConflictStore on SQLite. */
export class SqliteConflictStore extends ConflictStore {
  private readonly statements: PreparedStatements;

  constructor(db: SqliteDatabase) {
    super();
    this.statements = new PreparedStatements(db);
  }

  async propose(conflict: NewConflict): Promise<ConflictRecord | undefined> {
    const row = this.statements
      .get(
        `INSERT INTO memory_conflicts (namespace, number, first_id, second_id, score, evidence, status, created_at, judge)
         VALUES (?, (SELECT coalesce(max(number), 0) + 1 FROM memory_conflicts WHERE namespace = ?), ?, ?, ?, ?, 'open', ?, ?)
         ON CONFLICT (first_id, second_id) DO NOTHING RETURNING *`,
      )
      .get(
        conflict.namespace,
        conflict.namespace,
        conflict.firstId,
        conflict.secondId,
        conflict.score,
        JSON.stringify(conflict.evidence),
        conflict.createdAt,
        judgeColumn(conflict.judge),
      ) as ConflictRow | undefined;
    return row && toConflictRecord(row);
  }

  async findByNumber(namespace: string, number: number): Promise<ConflictRecord | undefined> {
    const row = this.statements
      .get('SELECT * FROM memory_conflicts WHERE namespace = ? AND number = ?')
      .get(namespace, number) as ConflictRow | undefined;
    return row && toConflictRecord(row);
  }

  async findByPair(namespace: string, firstId: number, secondId: number): Promise<ConflictRecord | undefined> {
    const row = this.statements
      .get('SELECT * FROM memory_conflicts WHERE namespace = ? AND first_id = ? AND second_id = ?')
      .get(namespace, firstId, secondId) as ConflictRow | undefined;
    return row && toConflictRecord(row);
  }

  async list(
    namespace: string,
    status: ConflictStatus | undefined,
    offset: number,
    limit: number,
  ): Promise<ConflictRecord[]> {
    const rows = this.statements
      .get(
        `SELECT * FROM memory_conflicts WHERE namespace = ? AND (? IS NULL OR status = ?)
         ORDER BY score DESC, id LIMIT ? OFFSET ?`,
      )
      .all(namespace, status ?? null, status ?? null, limit, offset) as ConflictRow[];
    return rows.map(toConflictRecord);
  }

  async count(namespace: string, status: ConflictStatus | undefined): Promise<number> {
    return this.statements
      .get('SELECT count(*) FROM memory_conflicts WHERE namespace = ? AND (? IS NULL OR status = ?)')
      .pluck()
      .get(namespace, status ?? null, status ?? null) as number;
  }

  async recordJudgement(id: number, judgement: ConflictJudgement): Promise<void> {
    this.statements.get('UPDATE memory_conflicts SET judge = ? WHERE id = ?').run(judgeColumn(judgement), id);
  }

  async decide(id: number, status: Exclude<ConflictStatus, 'open'>, resolution: string, at: number): Promise<void> {
    this.statements
      .get('UPDATE memory_conflicts SET status = ?, resolution = ?, resolved_at = ? WHERE id = ?')
      .run(status, resolution, at, id);
  }
}
