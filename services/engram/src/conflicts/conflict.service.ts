import { Inject, Injectable } from '@nestjs/common';
import { currentNamespace } from '../auth/request-context';
import { InvalidInput, NotFound, StateConflict } from '../common/domain-errors';
import { JobNotFound } from '../jobs/job.errors';
import { JOB_QUEUE, JobQueue } from '../jobs/job-queue';
import { ConflictScanJobData, JobName, JobView } from '../jobs/job.types';
import { MemoryService, Supersession } from '../memories/memory.service';
import { ConflictRecord, ConflictStatus, ConflictStore } from '../storage/conflict.store';
import { MemoryRecord } from '../storage/memory.record';
import { MemoryStore } from '../storage/memory.store';
import { ListConflictsInput, ResolveConflictInput } from './conflict.dto';
import { describeDecision, shownDecision } from './conflict-decision';

/** A proposal with its two memories, older first. */
export interface ConflictPair {
  conflict: ConflictRecord;
  older: MemoryRecord;
  newer: MemoryRecord;
}

export interface ResolveOutcome {
  pair: ConflictPair;
  /** True when the same decision had been taken before: nothing changed. */
  unchanged: boolean;
  supersession?: Supersession;
}

/**
 * Review of possible contradictions: listing proposals, scanning a namespace as a job, and decisions
 * (supersede either way, keep both, dismiss), each remembered so a pair is never proposed twice.
 */
@Injectable()
export class ConflictService {
  constructor(
    private readonly conflicts: ConflictStore,
    private readonly memoryRecords: MemoryStore,
    private readonly memories: MemoryService,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  async list(input: ListConflictsInput) {
    const namespace = currentNamespace();
    const status = input.status === 'all' ? undefined : (input.status as ConflictStatus);
    const total = await this.conflicts.count(namespace, status);
    const records = await this.conflicts.list(namespace, status, (input.page - 1) * input.page_size, input.page_size);
    const pairs = await Promise.all(records.map((record) => this.pairOf(record)));
    return { pairs, total, page: input.page, pageSize: input.page_size };
  }

  requestScan(): Promise<JobView> {
    return this.queue.enqueue(JobName.ConflictScan, { namespace: currentNamespace() });
  }

  /** A scan job of the caller's namespace. */
  async scanJob(id: string): Promise<JobView> {
    const job = await this.queue.get(id);
    if (
      !job ||
      job.name !== JobName.ConflictScan ||
      (job.data as ConflictScanJobData).namespace !== currentNamespace()
    ) {
      throw new JobNotFound(id);
    }
    return job;
  }

  async resolve(input: ResolveConflictInput): Promise<ResolveOutcome> {
    const conflict = await this.proposalOf(input);
    const action = input.action ?? 'supersede';
    const pair = await this.pairOf(conflict);
    const winner = action === 'supersede' ? this.winnerOf(pair, input.keep ?? input.winner_hash!) : undefined;
    const decision = winner === undefined ? action : `supersede:${winner.id}`;
    if (conflict.status !== 'open') {
      if (conflict.resolution === decision) return { pair, unchanged: true };
      const decided = shownDecision(pair);
      throw new StateConflict(`Conflict ${conflict.number} was already decided (${describeDecision(decided)})`, {
        conflict_id: conflict.number,
        ...decided,
      });
    }
    const supersession =
      winner && (await this.memories.linkSupersession(otherOf(pair, winner).contentHash, winner.contentHash));
    await this.conflicts.decide(conflict.id, action === 'dismiss' ? 'dismissed' : 'resolved', decision, Date.now());
    return {
      pair: await this.pairOf((await this.conflicts.findByNumber(conflict.namespace, conflict.number))!),
      unchanged: false,
      supersession,
    };
  }

  private async proposalOf(input: ResolveConflictInput): Promise<ConflictRecord> {
    const namespace = currentNamespace();
    if (input.conflict_id !== undefined) {
      const conflict = await this.conflicts.findByNumber(namespace, input.conflict_id);
      if (!conflict) throw new NotFound(`No conflict with id ${input.conflict_id}`);
      return conflict;
    }
    const [a, b] = [await this.memories.get(input.winner_hash!), await this.memories.get(input.loser_hash!)];
    const conflict = await this.conflicts.findByPair(namespace, Math.min(a.id, b.id), Math.max(a.id, b.id));
    if (!conflict) throw new NotFound('No conflict was proposed between these two memories');
    return conflict;
  }

  private winnerOf(pair: ConflictPair, hash: string): MemoryRecord {
    const winner = [pair.older, pair.newer].find((memory) => memory.contentHash === hash);
    if (!winner)
      throw new InvalidInput(`keep must be one of the pair: ${pair.older.contentHash} or ${pair.newer.contentHash}`);
    return winner;
  }

  private async pairOf(conflict: ConflictRecord): Promise<ConflictPair> {
    const memories = await this.memoryRecords.findInNamespace(conflict.namespace, [
      conflict.firstId,
      conflict.secondId,
    ]);
    const [older, newer] = memories.sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
    return { conflict, older, newer };
  }
}

function otherOf(pair: ConflictPair, memory: MemoryRecord): MemoryRecord {
  return pair.older.id === memory.id ? pair.newer : pair.older;
}
