import { ConflictJudgement, ConflictRecord, ConflictStatus } from './conflict.store';

export interface ConflictRow {
  id: number;
  number: number;
  namespace: string;
  first_id: number;
  second_id: number;
  score: number;
  evidence: string;
  status: ConflictStatus;
  resolution: string | null;
  created_at: number;
  resolved_at: number | null;
  /** JSON ConflictJudgement, or null. */
  judge: string | null;
}

export function toConflictRecord(row: ConflictRow): ConflictRecord {
  return {
    id: Number(row.id),
    number: Number(row.number),
    namespace: row.namespace,
    firstId: row.first_id,
    secondId: row.second_id,
    score: row.score,
    evidence: JSON.parse(row.evidence) as string[],
    status: row.status,
    resolution: row.resolution,
    createdAt: row.created_at,
    resolvedAt: row.resolved_at,
    judge: row.judge === null ? null : (JSON.parse(row.judge) as ConflictJudgement),
  };
}

/** The judge column's value: JSON, or null without a verdict. */
export function judgeColumn(judgement: ConflictJudgement | undefined): string | null {
  return judgement === undefined ? null : JSON.stringify(judgement);
}
