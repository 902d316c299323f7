import { Injectable } from '@nestjs/common';
import { ConflictRecord, ConflictStore } from '../storage/conflict.store';
import { MemoryRecord } from '../storage/memory.record';
import { MemoryStore } from '../storage/memory.store';
import { SearchStore } from '../storage/search.store';
import { detectContradiction, MIN_SIMILARITY } from './contradiction-detector';

/** Each memory is compared with this many of its nearest current neighbours. */
const NEIGHBOURS = 8;
/** Memories read per step of a namespace scan. */
const SCAN_PAGE = 200;

/** An open proposal involving a memory, with the other memory of the pair. */
export interface PossibleConflict {
  proposal: ConflictRecord;
  other: MemoryRecord;
}

export interface ScanProgress {
  scanned: number;
  total: number;
}

/**
 * Finds possible contradictions: a memory against its nearest current neighbours in its namespace, judged
 * by the CPU detector. Proposals are recorded once per pair (a dismissed pair is never proposed again)
 * and never applied.
 */
@Injectable()
export class ConflictScanner {
  constructor(
    private readonly memories: MemoryStore,
    private readonly search: SearchStore,
    private readonly conflicts: ConflictStore,
  ) {}

  /** The open proposals involving the memory, new ones recorded first. */
  async reviewMemory(memory: MemoryRecord): Promise<PossibleConflict[]> {
    const vector = memory.supersededBy === null ? await this.search.embeddingOf(memory.id) : undefined;
    if (!vector) return [];
    const nearest = (
      await this.search.vectorCandidates(vector, { namespace: memory.namespace }, NEIGHBOURS + 1)
    ).filter(({ id, distance }) => id !== memory.id && 1 - distance >= MIN_SIMILARITY);
    const similarity = new Map(nearest.map(({ id, distance }) => [id, 1 - distance]));
    const found: PossibleConflict[] = [];
    for (const other of await this.memories.findLiveByIds(
      memory.namespace,
      nearest.map(({ id }) => id),
    )) {
      const proposal = await this.judge(memory, other, similarity.get(other.id)!);
      if (proposal?.status === 'open') found.push({ proposal, other });
    }
    return found.sort((a, b) => b.proposal.score - a.proposal.score);
  }

  /** Reviews every current memory of the namespace; answers how many proposals are new. */
  async scanNamespace(
    namespace: string,
    onProgress: (progress: ScanProgress) => Promise<void>,
  ): Promise<{ scanned: number; proposed: number; open: number }> {
    const total = await this.memories.count({ namespace });
    const before = await this.conflicts.count(namespace, undefined);
    let scanned = 0;
    for (let offset = 0; offset < total; offset += SCAN_PAGE) {
      for (const memory of await this.memories.list({ namespace }, offset, SCAN_PAGE, 'oldest')) {
        await this.reviewMemory(memory);
        scanned += 1;
      }
      await onProgress({ scanned, total });
    }
    return {
      scanned,
      proposed: (await this.conflicts.count(namespace, undefined)) - before,
      open: await this.conflicts.count(namespace, 'open'),
    };
  }

  /** The pair's proposal: known already, newly recorded, or undefined when the detector sees no conflict. */
  private async judge(
    memory: MemoryRecord,
    other: MemoryRecord,
    similarity: number,
  ): Promise<ConflictRecord | undefined> {
    const [firstId, secondId] = memory.id < other.id ? [memory.id, other.id] : [other.id, memory.id];
    const known = await this.conflicts.findByPair(memory.namespace, firstId, secondId);
    if (known) return known;
    const [older, newer] = memory.createdAt <= other.createdAt ? [memory, other] : [other, memory];
    const finding = detectContradiction(older, newer, similarity);
    if (!finding) return undefined;
    return this.conflicts.propose({
      namespace: memory.namespace,
      firstId,
      secondId,
      score: finding.score,
      evidence: finding.evidence,
      createdAt: Date.now(),
    });
  }
}
