import { toHistoryView } from '../memories/memory.view';
import { shownDecision } from './conflict-decision';
import { ConflictPair } from './conflict.service';

/** A proposal as REST and MCP answer it: both memories (older first), score, evidence, judge and decision. */
export function toConflictView(pair: ConflictPair) {
  const { conflict, older, newer } = pair;
  return {
    id: conflict.number,
    score: conflict.score,
    evidence: conflict.evidence,
    judge: conflict.judge,
    status: conflict.status,
    ...shownDecision(pair),
    created_at_iso: new Date(conflict.createdAt).toISOString(),
    resolved_at_iso: conflict.resolvedAt === null ? null : new Date(conflict.resolvedAt).toISOString(),
    older: toHistoryView(older),
    newer: toHistoryView(newer),
  };
}
