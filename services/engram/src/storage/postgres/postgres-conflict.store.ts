import { ConflictRow, judgeColumn, toConflictRecord } from '../conflict.sql';
import { ConflictJudgement, ConflictRecord, ConflictStatus, ConflictStore, NewConflict } from '../conflict.store';
import { lockKeyForTransaction, PostgresDatabase } from './postgres.database';

/** ConflictStore on PostgreSQL: a pair is proposed once, whichever replica's scan finds it first. */
export class PostgresConflictStore extends ConflictStore {
  constructor(private readonly db: PostgresDatabase) {
    super();
  }

  /**
   * Numbers the proposal within its namespace under a transaction-level lock on that namespace's
   * numbering, so two replicas proposing at once never take the same number.
   */
  async propose(conflict: NewConflict): Promise<ConflictRecord | undefined> {
    const row = await this.db.transaction(async (tx) => {
      await lockKeyForTransaction(tx, 'memory_conflicts', conflict.namespace);
      const [inserted] = await tx.query<ConflictRow>(
        `INSERT INTO memory_conflicts (namespace, number, first_id, second_id, score, evidence, status, created_at, judge)
         VALUES ($1, (SELECT coalesce(max(number), 0) + 1 FROM memory_conflicts WHERE namespace = $1),
                 $2, $3, $4, $5, 'open', $6, $7)
         ON CONFLICT (first_id, second_id) DO NOTHING RETURNING *`,
        [
          conflict.namespace,
          conflict.firstId,
          conflict.secondId,
          conflict.score,
          JSON.stringify(conflict.evidence),
          conflict.createdAt,
          judgeColumn(conflict.judge),
        ],
      );
      return inserted;
    });
    return row && toConflictRecord(row);
  }

  async findByNumber(namespace: string, number: number): Promise<ConflictRecord | undefined> {
    const [row] = await this.db.query<ConflictRow>(
      'SELECT * FROM memory_conflicts WHERE namespace = $1 AND number = $2',
      [namespace, number],
    );
    return row && toConflictRecord(row);
  }

  async findByPair(namespace: string, firstId: number, secondId: number): Promise<ConflictRecord | undefined> {
    const [row] = await this.db.query<ConflictRow>(
      'SELECT * FROM memory_conflicts WHERE namespace = $1 AND first_id = $2 AND second_id = $3',
      [namespace, firstId, secondId],
    );
    return row && toConflictRecord(row);
  }

  async list(
    namespace: string,
    status: ConflictStatus | undefined,
    offset: number,
    limit: number,
  ): Promise<ConflictRecord[]> {
    const rows = await this.db.query<ConflictRow>(
      `SELECT * FROM memory_conflicts WHERE namespace = $1 AND ($2::text IS NULL OR status = $2)
       ORDER BY score DESC, id LIMIT $3 OFFSET $4`,
      [namespace, status ?? null, limit, offset],
    );
    return rows.map(toConflictRecord);
  }

  async count(namespace: string, status: ConflictStatus | undefined): Promise<number> {
    const [row] = await this.db.query<{ count: number }>(
      'SELECT count(*) AS count FROM memory_conflicts WHERE namespace = $1 AND ($2::text IS NULL OR status = $2)',
      [namespace, status ?? null],
    );
    return row.count;
  }

  async recordJudgement(id: number, judgement: ConflictJudgement): Promise<void> {
    await this.db.query('UPDATE memory_conflicts SET judge = $1 WHERE id = $2', [judgeColumn(judgement), id]);
  }

  async decide(id: number, status: Exclude<ConflictStatus, 'open'>, resolution: string, at: number): Promise<void> {
    await this.db.query('UPDATE memory_conflicts SET status = $1, resolution = $2, resolved_at = $3 WHERE id = $4', [
      status,
      resolution,
      at,
      id,
    ]);
  }
}
