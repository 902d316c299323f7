import { Injectable } from '@nestjs/common';
import { ConflictJudgement, ConflictRecord, ConflictStore, JudgeVerdict } from '../storage/conflict.store';
import { MemoryRecord } from '../storage/memory.record';
import { MemoryStore } from '../storage/memory.store';
import { SearchStore } from '../storage/search.store';
import { CONFIRMING_VERDICTS, ConflictJudgeService } from './conflict-judge.service';
import { detectContradiction, MIN_SIMILARITY } from './contradiction-detector';

/** Each memory is compared with this many of its nearest current neighbours. */
const NEIGHBOURS = 8;
/** Memories read per step of a namespace scan. */
const SCAN_PAGE = 200;
/** The resolution of a proposal the LLM judge rejected (its verdict says why): dismissed, never re-proposed. */
const JUDGE_DISMISSED = 'judge_dismissed';

/** An open proposal involving a memory, with the other memory of the pair. */
export interface PossibleConflict {
  proposal: ConflictRecord;
  other: MemoryRecord;
}

export interface ScanProgress {
  scanned: number;
  total: number;
}

/** One scan's judging: how many of each verdict, and which proposals were judged (each pair is met twice). */
interface ScanJudging {
  verdicts: Partial<Record<JudgeVerdict, number>>;
  judged: Set<number>;
}

/**
 * Finds possible contradictions: a memory against its nearest current neighbours in its namespace, judged
 * by the CPU detector, then (when configured) by the LLM judge. Proposals are recorded once per pair (a
 * dismissed pair is never proposed again) and never applied. The judge only ever narrows: a pair it
 * confirms stays open with its verdict, one it rejects is dismissed as `judge_dismissed` (kept, with the
 * verdict, so neither the detector nor the judge is asked about it again), and one it could not judge
 * stays open as the CPU proposed it, to be judged again by the next review that meets it.
 */
@Injectable()
export class ConflictScanner {
  constructor(
    private readonly memories: MemoryStore,
    private readonly search: SearchStore,
    private readonly conflicts: ConflictStore,
    private readonly judge: ConflictJudgeService,
  ) {}

  /**
   * The open proposals involving a memory just stored, new ones recorded first. The judge's answers are
   * awaited at most one judge timeout in all, so a store is never slowed by more than that.
   */
  reviewMemory(memory: MemoryRecord): Promise<PossibleConflict[]> {
    return this.review(memory, this.judge.configured ? AbortSignal.timeout(this.judge.timeoutMs) : undefined);
  }

  /** Reviews every current memory of the namespace; answers how many proposals are new. */
  async scanNamespace(
    namespace: string,
    onProgress: (progress: ScanProgress) => Promise<void>,
  ): Promise<{ scanned: number; proposed: number; open: number; judge_verdicts?: ScanJudging['verdicts'] }> {
    const total = await this.memories.count({ namespace });
    const before = await this.conflicts.count(namespace, undefined);
    const judging: ScanJudging = { verdicts: {}, judged: new Set() };
    let scanned = 0;
    // In id order after the last memory read: a page at an offset cost a walk past every memory before it
    // (quadratic: 6 s of paging alone at 100,000 memories), and skipped memories when others were deleted.
    for (let afterId = 0; ;) {
      const page = await this.memories.exportPage(namespace, afterId, SCAN_PAGE);
      if (page.length === 0) break;
      for (const memory of page.filter(({ supersededBy }) => supersededBy === null)) {
        await this.review(memory, undefined, judging);
        scanned += 1;
      }
      afterId = page[page.length - 1].id;
      await onProgress({ scanned, total });
    }
    return {
      scanned,
      proposed: (await this.conflicts.count(namespace, undefined)) - before,
      open: await this.conflicts.count(namespace, 'open'),
      ...(this.judge.configured ? { judge_verdicts: judging.verdicts } : {}),
    };
  }

  private async review(memory: MemoryRecord, deadline?: AbortSignal, judging?: ScanJudging) {
    const vector =
      memory.supersededBy === null ? (await this.search.embeddingsOf([memory.id])).get(memory.id) : undefined;
    if (!vector) return [];
    const nearest = (
      await this.search.vectorCandidates(vector, { namespace: memory.namespace }, NEIGHBOURS + 1)
    ).filter(({ id, distance }) => id !== memory.id && 1 - distance >= MIN_SIMILARITY);
    const similarity = new Map(nearest.map(({ id, distance }) => [id, 1 - distance]));
    const others = await this.memories.findLiveByIds(
      memory.namespace,
      nearest.map(({ id }) => id),
    );
    const found: PossibleConflict[] = [];
    for (const other of others) {
      const proposal = await this.proposalFor(memory, other, similarity.get(other.id)!);
      if (proposal) found.push({ proposal, other });
    }
    // Only the judge's calls run side by side (bounded by its slots); the store is read and written in turn.
    const judged = await Promise.all(
      found.map(async ({ proposal, other }) => ({
        other,
        proposal: await this.judged(proposal, memory, other, deadline, judging),
      })),
    );
    return judged
      .filter((pair): pair is PossibleConflict => pair.proposal?.status === 'open')
      .sort((a, b) => b.proposal.score - a.proposal.score);
  }

  /** The pair's proposal: known already, newly recorded, or undefined when the detector sees no conflict. */
  private async proposalFor(
    memory: MemoryRecord,
    other: MemoryRecord,
    similarity: number,
  ): Promise<ConflictRecord | undefined> {
    const [firstId, secondId] = memory.id < other.id ? [memory.id, other.id] : [other.id, memory.id];
    const known = await this.conflicts.findByPair(memory.namespace, firstId, secondId);
    if (known) return known;
    const finding = detectContradiction(...olderFirst(memory, other), similarity);
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

  /** The proposal once the judge has seen it (when it needs to); undefined when the judge rejected it. */
  private async judged(
    proposal: ConflictRecord,
    memory: MemoryRecord,
    other: MemoryRecord,
    deadline: AbortSignal | undefined,
    judging: ScanJudging | undefined,
  ): Promise<ConflictRecord | undefined> {
    if (!this.needsJudgement(proposal) || judging?.judged.has(proposal.id)) return proposal;
    judging?.judged.add(proposal.id);
    const [older, newer] = olderFirst(memory, other);
    const judgement = await this.judge.judge(memory.namespace, older.content, newer.content, deadline);
    if (judging) judging.verdicts[judgement.verdict] = (judging.verdicts[judgement.verdict] ?? 0) + 1;
    return this.recordJudgement(proposal, judgement);
  }

  /** Open, a judge configured, and not judged yet (or the judge was unavailable last time). */
  private needsJudgement(proposal: ConflictRecord): boolean {
    if (!this.judge.configured || proposal.status !== 'open') return false;
    return proposal.judge === null || proposal.judge.verdict === 'unavailable';
  }

  private async recordJudgement(proposal: ConflictRecord, judgement: ConflictJudgement) {
    await this.conflicts.recordJudgement(proposal.id, judgement);
    if (judgement.verdict === 'unavailable' || CONFIRMING_VERDICTS.has(judgement.verdict)) {
      return { ...proposal, judge: judgement };
    }
    await this.conflicts.decide(proposal.id, 'dismissed', JUDGE_DISMISSED, Date.now());
    return undefined;
  }
}

function olderFirst(a: MemoryRecord, b: MemoryRecord): [MemoryRecord, MemoryRecord] {
  return a.createdAt <= b.createdAt ? [a, b] : [b, a];
}
