import { Injectable } from '@nestjs/common';
import { ArchiveProposal, MergeProposal, Proposal, ProposedMember } from '../storage/consolidation.store';
import { MemoryRecord } from '../storage/memory.record';
import { MemoryStore } from '../storage/memory.store';
import { SearchStore } from '../storage/search.store';
import { MemoryUsageRow, UsageStore } from '../storage/usage.store';
import { detectContradiction } from '../conflicts/contradiction-detector';
import { contentHash } from '../memories/content-hash';
import { mergedText } from './merged-text';

/** Each memory is compared with this many of its nearest current neighbours. */
const NEIGHBOURS = 10;
/** Memories whose neighbours are looked up per step (and per progress report). */
const STEP = 200;
/** A proposal set holds at most this many items; the rest wait for the next run. */
export const MAX_PROPOSALS = 500;
const MS_PER_DAY = 86_400_000;

export interface PlanSettings {
  similarity: number;
  staleDays: number;
}

export interface Plan {
  scanned: number;
  proposals: Proposal[];
  /** Proposals found beyond MAX_PROPOSALS, left for a later run. */
  leftOut: number;
  /** Similar pairs not proposed for merging because they contradict each other (conflict review's task). */
  contradictions: number;
}

/** What the planner keeps of each current memory: no content, so a large namespace stays cheap. */
interface Candidate {
  id: number;
  uses: number;
  used: boolean;
  length: number;
  createdAt: number;
}

/**
 * Finds what a consolidation run proposes in one namespace, changing nothing: clusters of current
 * memories at least `similarity` alike (each member that alike to the cluster's leading member: the most
 * used, then longest, then newest), and memories older than `staleDays` never retrieved, fetched or
 * rated. A memory is in at most one proposal.
 */
@Injectable()
export class ConsolidationPlanner {
  constructor(
    private readonly usage: UsageStore,
    private readonly search: SearchStore,
    private readonly memories: MemoryStore,
  ) {}

  async plan(
    namespace: string,
    settings: PlanSettings,
    now: number,
    onProgress: (scanned: number, total: number) => Promise<void>,
  ): Promise<Plan> {
    const candidates = new Map<number, Candidate>();
    for await (const row of this.usage.currentMemories(namespace)) candidates.set(row.memoryId, candidateOf(row));
    const pairs = await this.similarPairs(namespace, candidates, settings.similarity, onProgress);
    const records = await this.recordsOf(namespace, [...pairs.keys()]);
    const contradictions = dropContradictions(pairs, records);
    const merges = this.mergeProposals(candidates, pairs, records);
    const mergedHashes = new Set(merges.flatMap(({ members }) => members.map((member) => member.contentHash)));
    const merged = new Set([...records.values()].filter((r) => mergedHashes.has(r.contentHash)).map((r) => r.id));
    const stale = staleCandidates(candidates, settings.staleDays, now, merged);
    const listedMerges = merges.slice(0, MAX_PROPOSALS);
    const listedStale = stale.slice(0, MAX_PROPOSALS - listedMerges.length);
    const archives = await this.archiveProposals(namespace, listedStale, settings.staleDays, now);
    return {
      scanned: candidates.size,
      proposals: [...listedMerges, ...archives],
      leftOut: Math.max(0, merges.length + stale.length - MAX_PROPOSALS),
      contradictions,
    };
  }

  /** For each memory, the others at least `threshold` alike (both ways), by similarity. */
  private async similarPairs(
    namespace: string,
    candidates: Map<number, Candidate>,
    threshold: number,
    onProgress: (scanned: number, total: number) => Promise<void>,
  ): Promise<Map<number, Map<number, number>>> {
    const pairs = new Map<number, Map<number, number>>();
    const link = (a: number, b: number, similarity: number) => {
      if (!pairs.has(a)) pairs.set(a, new Map());
      pairs.get(a)!.set(b, similarity);
    };
    const ids = [...candidates.keys()];
    for (let start = 0; start < ids.length; start += STEP) {
      const vectors = await this.search.embeddingsOf(ids.slice(start, start + STEP));
      for (const [id, vector] of vectors) {
        for (const near of await this.search.vectorCandidates(vector, { namespace }, NEIGHBOURS + 1)) {
          const similarity = 1 - near.distance;
          if (near.id === id || similarity < threshold || !candidates.has(near.id)) continue;
          link(id, near.id, similarity);
          link(near.id, id, similarity);
        }
      }
      await onProgress(Math.min(start + STEP, ids.length), ids.length);
    }
    return pairs;
  }

  private mergeProposals(
    candidates: Map<number, Candidate>,
    pairs: Map<number, Map<number, number>>,
    records: Map<number, MemoryRecord>,
  ): MergeProposal[] {
    const seeds = [...pairs.keys()].sort((a, b) => rank(candidates.get(a)!, candidates.get(b)!));
    const taken = new Set<number>();
    const clusters: { keep: number; members: Map<number, number> }[] = [];
    for (const seed of seeds) {
      if (taken.has(seed)) continue;
      const members = new Map([...pairs.get(seed)!].filter(([id]) => !taken.has(id)));
      if (members.size === 0) continue;
      taken.add(seed);
      for (const id of members.keys()) taken.add(id);
      clusters.push({ keep: seed, members });
    }
    return clusters.flatMap(({ keep, members }) => {
      const kept = records.get(keep);
      const others = [...members.keys()]
        .sort((a, b) => rank(candidates.get(a)!, candidates.get(b)!))
        .map((id) => records.get(id))
        .filter((record) => record !== undefined);
      if (!kept || others.length === 0) return [];
      const mergedContent = mergedText(
        kept.content,
        others.map((record) => record.content),
      );
      // When the merged text is one member's own (it said everything), that member is the merged one.
      const holder = [kept, ...others].find((record) => record.contentHash === contentHash(mergedContent)) ?? kept;
      return [
        {
          kind: 'merge' as const,
          members: [kept, ...others].map((record) => memberOf(record, candidates.get(record.id)!)),
          keep: holder.contentHash,
          mergedContent,
          similarity: Math.round(Math.min(...members.values()) * 1000) / 1000,
        },
      ];
    });
  }

  /**
   * The proposals to archive the given stale memories, oldest first. Only those a set can hold are
   * read with their text: in an imported namespace nearly every memory may be stale.
   */
  private async archiveProposals(
    namespace: string,
    stale: Candidate[],
    staleDays: number,
    now: number,
  ): Promise<ArchiveProposal[]> {
    const records = await this.recordsOf(
      namespace,
      stale.map((candidate) => candidate.id),
    );
    return stale.flatMap((candidate) => {
      const record = records.get(candidate.id);
      if (!record) return [];
      const days = Math.floor((now - record.createdAt) / MS_PER_DAY);
      return [
        {
          kind: 'archive' as const,
          member: memberOf(record, candidate),
          reason: `stored ${days} days ago, never retrieved, fetched or rated (older than ${staleDays} days)`,
        },
      ];
    });
  }

  private async recordsOf(namespace: string, ids: readonly number[]): Promise<Map<number, MemoryRecord>> {
    const records = new Map<number, MemoryRecord>();
    for (let start = 0; start < ids.length; start += STEP) {
      for (const record of await this.memories.findLiveByIds(namespace, ids.slice(start, start + STEP))) {
        records.set(record.id, record);
      }
    }
    return records;
  }
}

/**
 * Removes the similar pairs that state different values of one thing ("lands at 18:40" / "lands at 07:15"
 * are 0.95 alike): merging them would bury a contradiction, which conflict review is for. Answers how
 * many pairs went.
 */
function dropContradictions(pairs: Map<number, Map<number, number>>, records: Map<number, MemoryRecord>): number {
  let dropped = 0;
  for (const [a, others] of pairs) {
    for (const [b, similarity] of others) {
      const [first, second] = [records.get(a), records.get(b)];
      if (a > b || !first || !second) continue;
      const [older, newer] = first.createdAt <= second.createdAt ? [first, second] : [second, first];
      if (!detectContradiction(older, newer, similarity)) continue;
      others.delete(b);
      pairs.get(b)?.delete(a);
      dropped += 1;
    }
  }
  for (const [id, others] of pairs) if (others.size === 0) pairs.delete(id);
  return dropped;
}

/** Memories older than `staleDays` never used, oldest first, leaving out those proposed for a merge. */
function staleCandidates(
  candidates: Map<number, Candidate>,
  staleDays: number,
  now: number,
  merged: Set<number>,
): Candidate[] {
  const before = now - staleDays * MS_PER_DAY;
  return [...candidates.values()]
    .filter((candidate) => !candidate.used && candidate.createdAt < before && !merged.has(candidate.id))
    .sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
}

function candidateOf(row: MemoryUsageRow): Candidate {
  const uses = row.retrievals + row.fetches;
  return {
    id: row.memoryId,
    uses,
    used: uses > 0 || row.ratingCount > 0,
    length: row.content.length,
    createdAt: row.createdAt,
  };
}

/** The order in which memories lead a cluster: most used, then longest, then newest. */
function rank(a: Candidate, b: Candidate): number {
  return b.uses - a.uses || b.length - a.length || b.createdAt - a.createdAt || a.id - b.id;
}

function memberOf(record: MemoryRecord, candidate: Candidate): ProposedMember {
  return {
    contentHash: record.contentHash,
    content: record.content,
    createdAt: record.createdAt,
    uses: candidate.uses,
  };
}
