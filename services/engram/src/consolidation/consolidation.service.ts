import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditAction } from '../audit/audit-event';
import { AuditService } from '../audit/audit.service';
import { currentNamespace, runInContext } from '../auth/request-context';
import { InvalidInput, NotFound } from '../common/domain-errors';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { JobContext } from '../jobs/job-processor';
import { JOB_QUEUE, JobQueue } from '../jobs/job-queue';
import { ConsolidateJobData, JobName, JobView } from '../jobs/job.types';
import { UsageRecorder } from '../quality/usage-recorder';
import { ConsolidationStore, ProposalSetRecord } from '../storage/consolidation.store';
import { KEPT_PROPOSAL_SETS } from '../storage/consolidation.sql';
import { MemoryStore } from '../storage/memory.store';
import { ConsolidationApplier, ItemOutcome } from './consolidation-applier';
import { ConsolidationPlanner } from './consolidation-planner';
import { ApplyConsolidationInput, TriggerConsolidationInput } from './consolidation.dto';
import { counted } from '../common/counted';

/** Jobs looked at for the status: the queue's recent history, not every job ever run. */
const STATUS_HISTORY = 200;

export interface AppliedItem {
  itemId: number;
  outcome: ItemOutcome;
  /** True when the item had been applied before: nothing was done again. */
  alreadyApplied: boolean;
}

/**
 * Consolidation as reviewable jobs: a run (a job) proposes merges of near-duplicates and archives of
 * unused memories and stores them as a proposal set; nothing changes until a set (or some of its items)
 * is applied. Everything is confined to the caller's namespace; nothing runs on a schedule.
 */
@Injectable()
export class ConsolidationService {
  constructor(
    private readonly store: ConsolidationStore,
    private readonly planner: ConsolidationPlanner,
    private readonly applier: ConsolidationApplier,
    private readonly memories: MemoryStore,
    private readonly usage: UsageRecorder,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  async trigger(input: TriggerConsolidationInput): Promise<JobView> {
    await this.writePendingUses();
    return this.queue.enqueue(JobName.Consolidate, {
      namespace: currentNamespace(),
      similarity: input.similarity_threshold ?? this.config.consolidation.similarity,
      staleDays: input.stale_after_days ?? this.config.consolidation.staleDays,
      dryRun: input.dry_run,
      ...(input.time_horizon ? { horizon: input.time_horizon } : {}),
    });
  }

  /** The job's work: plan, store the proposal set, and apply it only when the run was asked to. */
  async run(data: ConsolidateJobData, job: JobContext): Promise<Record<string, unknown>> {
    const started = Date.now();
    const plan = await this.planner.plan(
      data.namespace,
      { similarity: data.similarity, staleDays: data.staleDays },
      started,
      async (scanned, total) => {
        await job.throwIfCancelled();
        await job.progress(
          Math.floor((scanned / Math.max(total, 1)) * 90),
          `compared ${scanned} of ${counted(total, 'memory', 'memories')}`,
        );
      },
    );
    const id = `cs-${randomUUID()}`;
    await this.store.save(
      {
        id,
        namespace: data.namespace,
        jobId: job.jobId,
        createdAt: Date.now(),
        settings: { similarity_threshold: data.similarity, stale_after_days: data.staleDays },
        summary: { scanned: plan.scanned, left_out: plan.leftOut, contradictions_skipped: plan.contradictions },
        items: plan.proposals.map((proposal, index) => ({ itemId: index + 1, proposal })),
      },
      KEPT_PROPOSAL_SETS,
    );
    const merges = plan.proposals.filter((proposal) => proposal.kind === 'merge');
    let applied: AppliedItem[] = [];
    if (!data.dryRun) {
      await job.progress(90, `applying ${counted(plan.proposals.length, 'proposal', 'proposals')}`);
      applied = await runInContext(
        {
          principal: { kind: 'local', id: 'consolidation', scopes: ['write'] },
          namespace: data.namespace,
          clientAddress: 'local',
        },
        () => this.apply({ proposal_set_id: id }),
      );
    }
    return {
      status: 'completed',
      proposal_set_id: id,
      dry_run: data.dryRun,
      ...(data.horizon ? { horizon: data.horizon } : {}),
      processed: plan.scanned,
      merge_proposals: merges.length,
      archive_proposals: plan.proposals.length - merges.length,
      left_out: plan.leftOut,
      contradictions_skipped: plan.contradictions,
      compressed: applied.reduce(
        (sum, { outcome }) => sum + (outcome.status === 'merged' ? outcome.superseded.length : 0),
        0,
      ),
      forgotten: applied.filter(({ outcome }) => outcome.status === 'archived').length,
      duration: (Date.now() - started) / 1000,
    };
  }

  /** A proposal set of the caller's namespace: the one named, or the newest (undefined when none yet). */
  async proposalSet(id: string | undefined): Promise<ProposalSetRecord | undefined> {
    const namespace = currentNamespace();
    if (id === undefined) return this.store.latest(namespace);
    const set = await this.store.find(namespace, id);
    if (!set) throw new NotFound(`No consolidation proposal set ${id} in this namespace`, { proposal_set_id: id });
    return set;
  }

  /** Applies the reviewed items of a set (all when none are named), each once, in item order. */
  async apply(input: ApplyConsolidationInput): Promise<AppliedItem[]> {
    const set = (await this.proposalSet(input.proposal_set_id))!;
    const known = new Set(set.items.map((item) => item.itemId));
    const unknown = (input.item_ids ?? []).filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new InvalidInput(`item_ids not in proposal set ${set.id}: ${unknown.join(', ')}`, {
        issues: [{ path: 'item_ids', message: `unknown items ${unknown.join(', ')}` }],
      });
    }
    const wanted = new Set(input.item_ids ?? known);
    await this.writePendingUses();
    const results: AppliedItem[] = [];
    for (const item of set.items.filter((candidate) => wanted.has(candidate.itemId))) {
      if (item.appliedAt !== null) {
        results.push({ itemId: item.itemId, outcome: item.outcome as ItemOutcome, alreadyApplied: true });
        continue;
      }
      const outcome = await this.applier.apply(item.proposal);
      const first = await this.store.markApplied(set.namespace, set.id, item.itemId, outcome, Date.now());
      results.push({ itemId: item.itemId, outcome, alreadyApplied: !first });
    }
    await this.audit.record({
      action: AuditAction.ConsolidationApply,
      outcome: 'success',
      target: set.id,
      details: {
        items: results.length,
        merged: results.filter(({ outcome }) => outcome.status === 'merged').length,
        archived: results.filter(({ outcome }) => outcome.status === 'archived').length,
        skipped: results.filter(({ outcome }) => outcome.status === 'skipped').length,
      },
    });
    return results;
  }

  /**
   * Uses counted in this process but not yet written must count: an archive is proposed for a memory nobody
   * used, and skipped when applied if it was used since, however soon after the use either happens.
   */
  private writePendingUses(): Promise<void> {
    return this.usage.flush();
  }

  /** The caller's namespace's consolidation jobs among its own recent jobs, newest first. */
  async recentJobs(): Promise<JobView[]> {
    const namespace = currentNamespace();
    return (await this.queue.list(STATUS_HISTORY, namespace)).filter((job) => job.name === JobName.Consolidate);
  }

  /** Current memories of the caller's namespace. */
  memoryCount(): Promise<number> {
    return this.memories.count({ namespace: currentNamespace() });
  }
}
