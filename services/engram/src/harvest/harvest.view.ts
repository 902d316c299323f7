import { HarvestOutcome } from './harvest.service';

export function toHarvestView({ candidates, rejected }: HarvestOutcome) {
  const stored = candidates.filter((candidate) => candidate.outcome?.created).length;
  return {
    success: true,
    candidates: candidates.map(({ outcome, ...candidate }) => ({
      content: candidate.content,
      memory_type: candidate.memory_type ?? null,
      tags: candidate.tags ?? [],
      ...(outcome ? { content_hash: outcome.memory.contentHash, created: outcome.created } : {}),
    })),
    total: candidates.length,
    stored,
    rejected,
  };
}
