import { PreparedStatements } from './prepared-statements';
import { SqliteDatabase } from './sqlite.connection';

export type ConflictStatus = 'open' | 'resolved' | 'dismissed';

/** A proposed contradiction between two memories; `firstId` < `secondId`. */
export interface ConflictRecord {
  id: number;
  namespace: string;
  firstId: number;
  secondId: number;
  score: number;
  evidence: string[];
  status: ConflictStatus;
  resolution: string | null;
  createdAt: number;
  resolvedAt: number | null;
}

export type NewConflict = Pick<
  ConflictRecord,
  'namespace' | 'firstId' | 'secondId' | 'score' | 'evidence' | 'createdAt'
>;

interface ConflictRow {
  id: number;
  namespace: string;
  first_id: number;
  second_id: number;
  score: number;
  evidence: string;
  status: ConflictStatus;
  resolution: string | null;
  created_at: number;
  resolved_at: number | null;
}

/** Proposed contradictions and the decisions taken on them (`memory_conflicts`). */
export class ConflictRepository {
  private readonly statements: PreparedStatements;

  constructor(db: SqliteDatabase) {
    this.statements = new PreparedStatements(db);
  }

  /** Records a proposal unless the pair is known already (open or decided); answers the new record. */
  propose(conflict: NewConflict): ConflictRecord | undefined {
    const row = this.statements
      .get(
        `INSERT INTO memory_conflicts (namespace, first_id, second_id, score, evidence, status, created_at)
         VALUES (?, ?, ?, ?, ?, 'open', ?) ON CONFLICT (first_id, second_id) DO NOTHING RETURNING *`,
      )
      .get(
        conflict.namespace,
        conflict.firstId,
        conflict.secondId,
        conflict.score,
        JSON.stringify(conflict.evidence),
        conflict.createdAt,
      ) as ConflictRow | undefined;
    return row && toRecord(row);
  }

  findById(namespace: string, id: number): ConflictRecord | undefined {
    const row = this.statements
      .get('SELECT * FROM memory_conflicts WHERE namespace = ? AND id = ?')
      .get(namespace, id) as ConflictRow | undefined;
    return row && toRecord(row);
  }

  findByPair(namespace: string, firstId: number, secondId: number): ConflictRecord | undefined {
    const row = this.statements
      .get('SELECT * FROM memory_conflicts WHERE namespace = ? AND first_id = ? AND second_id = ?')
      .get(namespace, firstId, secondId) as ConflictRow | undefined;
    return row && toRecord(row);
  }

  /** Proposals with this status (any when undefined), highest score first. */
  list(namespace: string, status: ConflictStatus | undefined, offset: number, limit: number): ConflictRecord[] {
    const rows = this.statements
      .get(
        `SELECT * FROM memory_conflicts WHERE namespace = ? AND (? IS NULL OR status = ?)
         ORDER BY score DESC, id LIMIT ? OFFSET ?`,
      )
      .all(namespace, status ?? null, status ?? null, limit, offset) as ConflictRow[];
    return rows.map(toRecord);
  }

  count(namespace: string, status: ConflictStatus | undefined): number {
    return this.statements
      .get('SELECT count(*) FROM memory_conflicts WHERE namespace = ? AND (? IS NULL OR status = ?)')
      .pluck()
      .get(namespace, status ?? null, status ?? null) as number;
  }

  decide(id: number, status: Exclude<ConflictStatus, 'open'>, resolution: string, at: number): void {
    this.statements
      .get('UPDATE memory_conflicts SET status = ?, resolution = ?, resolved_at = ? WHERE id = ?')
      .run(status, resolution, at, id);
  }
}

function toRecord(row: ConflictRow): ConflictRecord {
  return {
    id: row.id,
    namespace: row.namespace,
    firstId: row.first_id,
    secondId: row.second_id,
    score: row.score,
    evidence: JSON.parse(row.evidence) as string[],
    status: row.status,
    resolution: row.resolution,
    createdAt: row.created_at,
    resolvedAt: row.resolved_at,
  };
}
