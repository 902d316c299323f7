import type { ConflictPair } from './conflict.service';

/** A decision as clients see it: its kind, and for a supersession the hash of the memory kept. */
export interface ShownDecision {
  resolution: string | null;
  kept?: string;
}

/**
 * The stored decision of a proposal (`supersede:<row id>`, `keep_both`, `dismiss`, `judge_dismissed`) as
 * answers show it: the memory kept by its content_hash, never its row id, which counts every namespace's
 * memories and so would tell a tenant how many others stored.
 */
export function shownDecision({ conflict, older, newer }: ConflictPair): ShownDecision {
  if (conflict.resolution === null) return { resolution: null };
  const [resolution, keptId] = conflict.resolution.split(':');
  const kept = keptId === undefined ? undefined : [older, newer].find((memory) => String(memory.id) === keptId);
  return { resolution, ...(kept ? { kept: kept.contentHash } : {}) };
}

/** The decision in words, for messages: `supersede, keeping <hash>`, `dismiss`. */
export function describeDecision(decision: ShownDecision): string {
  return decision.kept ? `${decision.resolution}, keeping ${decision.kept}` : String(decision.resolution);
}
