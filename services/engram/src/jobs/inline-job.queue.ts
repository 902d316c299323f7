import { Logger } from '@nestjs/common';
import { EventBus } from '../events/event-bus';
import { failureCode } from '../process/plain-failure';
import { CancelOutcome, EnqueueOptions, JobQueue, JobQueueLimits } from './job-queue';
import { CancelRequest, isUnended, TakenJobs } from '../storage/job-record.store';
import { InlineJobOwners, InlineJobRecords } from './inline-job-owners';
import { admitJob, WaitingJobs } from './job-admission';
import { JobRunner } from './job-runner';
import { newJobId } from './job-id';
import { nextCronRun, scheduledJobId } from './job-schedule';
import { StoredCancels } from './stored-cancels';
import { ThrottledSave } from './throttled-save';
import { UnstoredJobEnds } from './unstored-job-ends';
import { JobCancelled, JobNotCancellable, JobPastCancelling } from './job.errors';
import { emptyCounts, JobCounts, JobDataByName, JobName, jobNamespace, JobView, QueueName } from './job.types';

/** How often a running job's progress is stored, for the other apis on the store to answer it. */
const PROGRESS_STORED_EVERY_MS = 1_000;

interface InlineJob {
  view: JobView;
  cancelRequested: boolean;
  /** Why the running job can no longer be cancelled: it has entered a step it must finish. */
  uncancellable?: string;
  joinKey?: string;
}

/**
 * The in-process adapter (no Redis): jobs run one at a time in this process, in arrival order. With
 * `records` (the serving api), every job is stored before it is answered and again as it starts and ends,
 * so when the api dies, or stops with a job running (released at its next safe point) or waiting, a job
 * it never ran to its end is listed as failed (`interrupted`), never gone (InlineJobOwners): stored so by
 * the api as it stops, or after a crash by another api on the store within seconds, or at the api's
 * restart, and reported by the api taking it over; it is not run again by itself (a restore or an import half done is for its requester to look at). The reindex
 * stages its progress in the database and continues where it stopped when requested again. Each api lists
 * and answers by id every stored job, whichever api keeps it, a running one's progress stored at most a
 * second ago; a cancel asked through any api is recorded on the stored job and ended by
 * the api running it (StoredCancels). Without `records` (operator commands, `engram mcp`, whose caller
 * lives and dies with the process) jobs live in memory only.
 */
export class InlineJobQueue implements JobQueue {
  readonly kind = 'inline';
  readonly queue = QueueName.Maintenance;
  private readonly jobs = new Map<string, InlineJob>();
  private readonly waiting: string[] = [];
  private readonly timers = new Map<JobName, { timer: NodeJS.Timeout; next: Date }>();
  private started = false;
  private closing = false;
  private draining: Promise<void> | undefined;
  private readonly owners: InlineJobOwners | undefined;
  private readonly storedCancels: StoredCancels | undefined;
  private readonly unstoredEnds: UnstoredJobEnds | undefined;

  private readonly logger = new Logger('Jobs');

  constructor(
    private readonly runner: JobRunner,
    private readonly events: EventBus,
    private readonly limits: JobQueueLimits,
    private readonly records?: InlineJobRecords,
  ) {
    if (!records) return;
    this.owners = new InlineJobOwners(records, (taken) => this.adopt(taken));
    this.storedCancels = new StoredCancels(
      records.store,
      this.owners.id,
      () => this.waiting.length > 0 || this.draining !== undefined,
      (ids) => this.cancelAskedElsewhere(ids),
    );
    this.unstoredEnds = new UnstoredJobEnds(
      (view) => this.writeEnd(view),
      (view, error) =>
        this.logger.error({
          msg: 'Job end not stored',
          job: view.id,
          state: view.state,
          error: (error as Error).message,
        }),
    );
  }

  private readonly waitingJobs: WaitingJobs = {
    total: async () => this.waiting.length,
    inNamespace: async (namespace) =>
      this.waiting.filter((id) => jobNamespace(this.jobs.get(id)!.view.data) === namespace).length,
  };

  async enqueue<N extends JobName>(name: N, data: JobDataByName[N], options: EnqueueOptions = {}): Promise<JobView> {
    const existing = (options.jobId ? this.jobs.get(options.jobId) : undefined) ?? this.joinable(options.joinKey);
    if (existing) return { ...existing.view };
    await admitJob(data, this.limits, this.waitingJobs);
    const id = options.jobId ?? newJobId();
    const view: JobView = {
      id,
      name,
      queue: this.queue,
      state: 'waiting',
      progress: 0,
      data,
      attempts: 0,
      created_at: new Date().toISOString(),
    };
    // Stored before it is answered: a 202 names a job a crash cannot make unknown.
    await this.owners?.save(view);
    this.jobs.set(id, { view, cancelRequested: false, joinKey: options.joinKey });
    this.waiting.push(id);
    this.events.publish('job_queued', { job_id: id, name }, jobNamespace(data));
    this.drain();
    return { ...view };
  }

  /** This api's job, else one another api keeps in the store (as last stored: a running one's progress within a second). */
  async get(id: string): Promise<JobView | undefined> {
    const job = this.jobs.get(id);
    return job ? { ...job.view } : this.records?.store.find(id);
  }

  /**
   * Newest first; with `namespace`, only that namespace's. With `records`, every api's jobs on the store, in
   * the order accepted, this api's own as they stand now and another's as last stored (a running one's
   * progress within a second); without, this process's, jobs taken over falling in by the time accepted.
   */
  async list(limit: number, namespace?: string): Promise<JobView[]> {
    if (!this.records) return this.listOwn(limit, namespace);
    const stored = await this.records.store.newest(limit, namespace);
    return stored.map((view) => {
      const own = this.jobs.get(view.id);
      return own ? { ...own.view } : view;
    });
  }

  async cancel(id: string): Promise<CancelOutcome> {
    const job = this.jobs.get(id);
    if (!job) return this.cancelElsewhere(id);
    if (job.view.state === 'waiting') return this.cancelOwnWaiting(job);
    if (job.view.state === 'active') {
      if (job.uncancellable) throw new JobPastCancelling(id, job.uncancellable);
      // Recorded before it is answered: if this api dies before the job stops, it is ended as cancelled.
      if (this.records) acceptedCancel(id, await this.records.store.requestCancel(id));
      job.cancelRequested = true;
      return 'cancelling';
    }
    throw new JobNotCancellable(`Job ${id} already ended (${job.view.state})`);
  }

  async counts(): Promise<JobCounts> {
    const counts = emptyCounts();
    for (const job of this.jobs.values()) counts[job.view.state]++;
    return counts;
  }

  async schedule<N extends JobName>(name: N, cron: string | undefined, data: JobDataByName[N]): Promise<void> {
    clearTimeout(this.timers.get(name)?.timer);
    this.timers.delete(name);
    if (cron === undefined || this.closing) return;
    const next = nextCronRun(cron);
    const timer = setTimeout(
      () => {
        this.enqueue(name, data, { jobId: scheduledJobId(name, next) }).catch((error: Error) =>
          this.logger.warn({ msg: 'Scheduled job not queued', name, error: error.message }),
        );
        void this.schedule(name, cron, data);
      },
      Math.max(0, next.getTime() - Date.now()),
    );
    timer.unref();
    this.timers.set(name, { timer, next });
  }

  async nextRun(name: JobName): Promise<Date | undefined> {
    return this.timers.get(name)?.next;
  }

  async start(): Promise<void> {
    await this.owners?.start();
    this.storedCancels?.start();
    this.started = true;
    this.drain();
  }

  /**
   * Stops the schedule, asks the running job to stop at its next safe point (released), waits for it, and
   * ends it and the waiting ones in the store for the take-over to report (InlineJobOwners.stop).
   */
  async close(): Promise<void> {
    this.closing = true;
    const running = [...this.jobs.values()].find((job) => job.view.state === 'active');
    if (running) this.logger.log({ msg: 'Releasing the running job at its next safe point', job: running.view.id });
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await this.draining;
    await this.storedCancels?.stop();
    await this.unstoredEnds?.flush();
    await this.owners?.stop();
  }

  async ping(): Promise<void> {}

  /** The waiting or running job enqueued with this join key, if any. */
  private joinable(joinKey: string | undefined): InlineJob | undefined {
    if (joinKey === undefined) return undefined;
    return [...this.jobs.values()].find(
      (job) => job.joinKey === joinKey && (job.view.state === 'waiting' || job.view.state === 'active'),
    );
  }

  /** This process's jobs, newest first (operator commands and `engram mcp`, which keep none in the store). */
  private listOwn(limit: number, namespace: string | undefined): JobView[] {
    return [...this.jobs.values()]
      .filter((job) => namespace === undefined || jobNamespace(job.view.data) === namespace)
      .map((job) => ({ ...job.view }))
      .reverse()
      .sort((a, b) => b.created_at.localeCompare(a.created_at))
      .slice(0, limit);
  }

  private drain(): void {
    if (!this.started || this.draining) return;
    this.draining = (async () => {
      while (!this.closing && this.waiting.length > 0) await this.runOne(this.jobs.get(this.waiting.shift()!)!);
    })().finally(() => {
      this.draining = undefined;
    });
  }

  /**
   * Lists the jobs taken over from an api that stopped, and audits, announces and counts those it left
   * unended (or ended as it stopped), now failed (`interrupted`) or cancelled, before this api serves when
   * found at its start.
   */
  private async adopt(taken: TakenJobs): Promise<void> {
    for (const view of taken.jobs) this.jobs.set(view.id, { view, cancelRequested: false });
    // A taken job keeps its namespace, and counts among that namespace's ended jobs kept here.
    for (const namespace of new Set(taken.jobs.map((view) => jobNamespace(view.data)))) {
      this.forgetEndedBeyondKept(namespace);
    }
    for (const view of taken.ended) {
      await this.runner.interrupted(view, new Error(view.error), view.state === 'cancelled');
      const msg =
        view.state === 'cancelled' ? 'Job cancelled, its api stopped' : 'Job interrupted by a stop of the api';
      this.logger.warn({ msg, job: view.id, name: view.name });
    }
  }

  /**
   * A job another api keeps: the cancel is recorded on the stored job, which that api reads within about a
   * second (StoredCancels) and ends it, at its next safe point if it runs, before it starts if it waits.
   */
  private async cancelElsewhere(id: string): Promise<CancelOutcome> {
    acceptedCancel(id, await this.records?.store.requestCancel(id));
    return 'cancelling';
  }

  /** Cancels asked of this api's jobs through other apis, as if asked here. */
  private async cancelAskedElsewhere(ids: string[]): Promise<void> {
    for (const id of ids) {
      const job = this.jobs.get(id);
      if (job?.view.state === 'waiting') {
        await this.cancelWaiting(job);
      } else if (job?.view.state === 'active' && !job.cancelRequested) {
        job.cancelRequested = true;
        this.logger.log({ msg: 'Job cancel asked through another api', job: id, name: job.view.name });
      }
    }
  }

  /**
   * Recorded before it is answered, as a running job's cancel is: a store too busy to take it fails the
   * request (503, the job still waiting) rather than answering `cancelled` for an end never stored. Once
   * recorded the job never starts (startUnlessCancelled); if storing its end below fails, the end is stored
   * again (UnstoredJobEnds), and a crash meanwhile ends it `cancelled` all the same.
   */
  private async cancelOwnWaiting(job: InlineJob): Promise<CancelOutcome> {
    if (this.records) acceptedCancel(job.view.id, await this.records.store.requestCancel(job.view.id));
    // The queue may have taken the job meanwhile: it then stops before it runs, or at its next safe point.
    if (job.view.state !== 'waiting') {
      job.cancelRequested = true;
      return 'cancelling';
    }
    await this.cancelWaiting(job);
    return 'cancelled';
  }

  private async cancelWaiting(job: InlineJob): Promise<void> {
    this.waiting.splice(this.waiting.indexOf(job.view.id), 1);
    await this.endCancelledBeforeRun(job);
  }

  private async endCancelledBeforeRun(job: InlineJob): Promise<void> {
    await this.finish(job, 'cancelled', { error: new JobCancelled().message });
    await this.runner.cancelledBeforeRun(job.view);
  }

  private async runOne(job: InlineJob): Promise<void> {
    const waiting = { ...job.view };
    Object.assign(job.view, { state: 'active', started_at: new Date().toISOString(), attempts: job.view.attempts + 1 });
    if (!(await this.storeStart(job.view))) {
      job.view = waiting;
      return this.endCancelledBeforeRun(job);
    }
    try {
      const result = await this.execute(job);
      await this.finish(job, 'completed', { result, progress: 100 });
    } catch (error) {
      if (error instanceof JobCancelled && error.released) return this.leaveUnended(job);
      // The runner has logged and announced the failure; here it only becomes the job's state (and its kind).
      if (error instanceof JobCancelled) return this.finish(job, 'cancelled', { error: error.message });
      const code = failureCode(error);
      await this.finish(job, 'failed', { error: (error as Error).message, ...(code && { error_code: code }) });
    }
  }

  /**
   * A job stopped at a safe point because this api is shutting down keeps its progress as it stands: nobody
   * cancelled it, so it does not end as cancelled. The stopping api then stores it ended `interrupted`
   * (`cancelled` if its cancel was recorded) with its waiting jobs, and once it has let go of its lock,
   * another api on the store (or this one restarted) takes it over and audits, announces and counts it.
   */
  private async leaveUnended(job: InlineJob): Promise<void> {
    await this.storeProgress(job.view);
  }

  /** Runs the started job, its progress stored for other apis as it advances. */
  private async execute(job: InlineJob): Promise<Record<string, unknown>> {
    const progress = this.records && new ThrottledSave(() => this.storeProgress(job.view), PROGRESS_STORED_EVERY_MS);
    try {
      return await this.runner.run(
        { id: job.view.id, name: job.view.name, data: job.view.data, queue: this.queue },
        {
          saveProgress: async (percent, stage) => {
            Object.assign(job.view, { progress: percent, stage });
            progress?.changed();
          },
          saveDetails: async (details) => {
            job.view.details = details;
            progress?.changed();
          },
          stopReason: async () => (this.closing ? 'released' : job.cancelRequested ? 'cancelled' : undefined),
          becomeUncancellable: (reason) => this.enterFinalStep(job, reason),
        },
      );
    } finally {
      progress?.stop();
    }
  }

  /**
   * The running job enters a step it must finish, unless a cancel came first (false). The store decides
   * between a cancel asked through any api and this step, so a cancel is either honoured or refused (409).
   */
  private async enterFinalStep(job: InlineJob, reason: string): Promise<boolean> {
    if (job.cancelRequested) return false;
    if (this.records && !(await this.records.store.markUncancellable(job.view.id, reason))) return false;
    job.uncancellable = reason;
    return true;
  }

  private async finish(job: InlineJob, state: JobView['state'], fields: Partial<JobView>): Promise<void> {
    Object.assign(job.view, { ...fields, state, finished_at: new Date().toISOString() });
    this.forgetEndedBeyondKept(jobNamespace(job.view.data));
    await this.storeEnd(job.view);
  }

  /**
   * Forgets the namespace's oldest ended jobs past those kept; other namespaces' are not its business.
   * Oldest by acceptance, as the store prunes: jobs taken over from a stopped api join the map last.
   */
  private forgetEndedBeyondKept(namespace: string): void {
    const ended = [...this.jobs.values()]
      .filter((entry) => !isUnended(entry.view) && jobNamespace(entry.view.data) === namespace)
      .sort((a, b) => a.view.created_at.localeCompare(b.view.created_at));
    const excess = ended.length - this.limits.keepFinishedPerNamespace;
    for (const old of ended.slice(0, Math.max(0, excess))) this.jobs.delete(old.view.id);
  }

  /**
   * Stores a job's end (and forgets its namespace's oldest ended ones). A store that refuses it (busy) is
   * logged, not thrown: the job has ended either way. The end is stored again with backoff (UnstoredJobEnds),
   * so the other apis see it ended; after a crash meanwhile it would be listed as interrupted (cancelled,
   * when its cancel was recorded), which this line explains.
   */
  private async storeEnd(view: JobView): Promise<void> {
    try {
      await this.writeEnd(view);
    } catch (error) {
      this.notStored(view, error);
      this.unstoredEnds?.add(view);
    }
  }

  private async writeEnd(view: JobView): Promise<void> {
    if (!this.records || !this.owners) return;
    await this.owners.save({ ...view });
    await this.records.store.pruneEnded(jobNamespace(view.data), this.limits.keepFinishedPerNamespace);
  }

  /**
   * Stores the job's start; false when a cancel asked through another api came first. A store that refuses
   * the write is logged and the job runs: a cancel asked meanwhile is read at the next check.
   */
  private async storeStart(view: JobView): Promise<boolean> {
    if (!this.records) return true;
    try {
      return await this.records.store.startUnlessCancelled({ ...view });
    } catch (error) {
      this.notStored(view, error);
      return true;
    }
  }

  /** False when the store was busy: the throttle tries again. A failure of another kind is logged, not retried. */
  private async storeProgress(view: JobView): Promise<boolean> {
    try {
      return (await this.records?.store.saveProgress({ ...view })) ?? true;
    } catch (error) {
      this.notStored(view, error);
      return true;
    }
  }

  private notStored(view: JobView, error: unknown): void {
    this.logger.warn({ msg: 'Job state not stored', job: view.id, state: view.state, error: (error as Error).message });
  }
}

/** Throws the refusal a cancel request met in the store; returns when it was recorded. */
function acceptedCancel(id: string, request: CancelRequest | undefined): void {
  if (!request) throw new JobNotCancellable(`No job with id ${id}`);
  if (request.recorded) return;
  if (request.uncancellable) throw new JobPastCancelling(id, request.uncancellable);
  throw new JobNotCancellable(`Job ${id} already ended (${request.job.state})`);
}
