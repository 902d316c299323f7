import { toHistoryView } from '../memories/memory.view';
import { ConflictPair } from './conflict.service';

/** A proposal as REST and MCP answer it: both memories (older first), score, evidence, judge and decision. */
export function toConflictView({ conflict, older, newer }: ConflictPair) {
  const [decision, winnerId] = (conflict.resolution ?? '').split(':');
  const kept = winnerId === undefined ? undefined : [older, newer].find((memory) => String(memory.id) === winnerId);
  return {
    id: conflict.number,
    score: conflict.score,
    evidence: conflict.evidence,
    judge: conflict.judge,
    status: conflict.status,
    resolution: conflict.resolution === null ? null : decision,
    ...(kept ? { kept: kept.contentHash } : {}),
    created_at_iso: new Date(conflict.createdAt).toISOString(),
    resolved_at_iso: conflict.resolvedAt === null ? null : new Date(conflict.resolvedAt).toISOString(),
    older: toHistoryView(older),
    newer: toHistoryView(newer),
  };
}
