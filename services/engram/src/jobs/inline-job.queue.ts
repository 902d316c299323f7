import { Logger } from '@nestjs/common';
import { EventBus } from '../events/event-bus';
import { failureCode } from '../process/plain-failure';
import { HeldLock, LockRepository } from '../storage/locks/lock.repository';
import { CancelOutcome, EnqueueOptions, JobQueue } from './job-queue';
import { JobRecordStore } from '../storage/job-record.store';
import { admitJob, WaitingJobs, WaitingLimits } from './job-admission';
import { jobNamespace, JobRunner } from './job-runner';
import { newJobId } from './job-id';
import { nextCronRun, scheduledJobId } from './job-schedule';
import { JobCancelled, JobNotCancellable } from './job.errors';
import { emptyCounts, JobCounts, JobDataByName, JobName, JobView, QueueName } from './job.types';

/** Finished jobs remembered for GET /api/jobs; older ones are forgotten. */
const HISTORY = 200;
/**
 * Held shared by the process keeping its jobs in the store for its lifetime; one that gets it exclusive
 * at start knows no such process is alive, so a job stored as waiting or running was cut off by a crash.
 */
const RECORDS_LOCK = 'inline-job-records';
/** Why a job accepted before a crash of the api never ended; `interrupted` is its error_code. */
const INTERRUPTED = (state: string) =>
  `Interrupted: the api stopped (a crash, a kill or a restart) while this job was ${state === 'active' ? 'running' : 'waiting'}; request it again`;

/** Where a serving api keeps its jobs so that one answered 202 outlives a crash, and the lock that guards them. */
export interface InlineJobRecords {
  store: JobRecordStore;
  locks: LockRepository;
}

interface InlineJob {
  view: JobView;
  cancelRequested: boolean;
  joinKey?: string;
}

/**
 * The in-process adapter (no Redis): jobs run one at a time in this process, in arrival order. With
 * `records` (the serving api), every job is stored before it is answered and again as it starts and ends,
 * so after a crash and a restart a job that never ended is listed as failed (`interrupted`), never gone;
 * it is not run again by itself (a restore or an import half done is for its requester to look at). The
 * reindex stages its progress in the database and continues where it stopped when requested again.
 * Without `records` (operator commands, `engram mcp`, whose caller lives and dies with the process) jobs
 * live in memory only.
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
  private recordsHeld: HeldLock | undefined;

  private readonly logger = new Logger('Jobs');

  constructor(
    private readonly runner: JobRunner,
    private readonly events: EventBus,
    private readonly limits: WaitingLimits,
    private readonly records?: InlineJobRecords,
  ) {}

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
    await this.records?.store.save(view);
    this.jobs.set(id, { view, cancelRequested: false, joinKey: options.joinKey });
    this.waiting.push(id);
    this.events.publish('job_queued', { job_id: id, name }, jobNamespace(data));
    this.drain();
    return { ...view };
  }

  async get(id: string): Promise<JobView | undefined> {
    const job = this.jobs.get(id);
    return job ? { ...job.view } : undefined;
  }

  async list(limit: number): Promise<JobView[]> {
    return [...this.jobs.values()]
      .map((job) => ({ ...job.view }))
      .reverse()
      .slice(0, limit);
  }

  async cancel(id: string): Promise<CancelOutcome> {
    const job = this.jobs.get(id);
    if (!job) throw new JobNotCancellable(`No job with id ${id}`);
    if (job.view.state === 'waiting') {
      this.waiting.splice(this.waiting.indexOf(id), 1);
      await this.finish(job, 'cancelled', { error: new JobCancelled().message });
      await this.runner.cancelledBeforeRun(job.view);
      return 'cancelled';
    }
    if (job.view.state === 'active') {
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
    await this.recoverRecords();
    this.started = true;
    this.drain();
  }

  /** Stops the schedule, asks the running job to stop at its next safe point, and waits for it. */
  async close(): Promise<void> {
    this.closing = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await this.draining;
    await this.recordsHeld?.release();
  }

  async ping(): Promise<void> {}

  /** The waiting or running job enqueued with this join key, if any. */
  private joinable(joinKey: string | undefined): InlineJob | undefined {
    if (joinKey === undefined) return undefined;
    return [...this.jobs.values()].find(
      (job) => job.joinKey === joinKey && (job.view.state === 'waiting' || job.view.state === 'active'),
    );
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
   * Lists the stored jobs again after a restart, when no other process keeps jobs in this store: those
   * stored as waiting or running were cut off by a crash, so they are stored and audited as failed. An api
   * starting beside a running one takes none of them: they are that api's, listed and ended there (taking
   * its finished ones would list them twice across the two, and its running ones frozen). Then this process
   * holds the records lock shared for its lifetime, saying that its own are not cut off.
   */
  private async recoverRecords(): Promise<void> {
    if (!this.records) return;
    const alone = await this.records.locks.tryAcquire(RECORDS_LOCK, 'exclusive');
    if (alone) {
      for (const view of await this.records.store.recent(HISTORY)) {
        if (view.state === 'waiting' || view.state === 'active') await this.markInterrupted(view);
        this.jobs.set(view.id, { view, cancelRequested: false });
      }
      await alone.release();
    }
    this.recordsHeld = await this.records.locks.tryAcquire(RECORDS_LOCK, 'shared');
  }

  private async markInterrupted(view: JobView): Promise<void> {
    const error = INTERRUPTED(view.state);
    Object.assign(view, { state: 'failed', error, error_code: 'interrupted', finished_at: new Date().toISOString() });
    await this.records!.store.save(view);
    await this.runner.interrupted(view, new Error(error));
    this.logger.warn({ msg: 'Job interrupted by a stop of the api', job: view.id, name: view.name });
  }

  private async runOne(job: InlineJob): Promise<void> {
    Object.assign(job.view, { state: 'active', started_at: new Date().toISOString(), attempts: job.view.attempts + 1 });
    await this.store(job.view);
    try {
      const result = await this.runner.run(
        { id: job.view.id, name: job.view.name, data: job.view.data, queue: this.queue },
        {
          saveProgress: async (percent, stage) => void Object.assign(job.view, { progress: percent, stage }),
          saveDetails: async (details) => void (job.view.details = details),
          stopReason: async () => (this.closing ? 'released' : job.cancelRequested ? 'cancelled' : undefined),
        },
      );
      await this.finish(job, 'completed', { result, progress: 100 });
    } catch (error) {
      // The runner has logged and announced the failure; here it only becomes the job's state (and its kind).
      if (error instanceof JobCancelled) return this.finish(job, 'cancelled', { error: error.message });
      const code = failureCode(error);
      await this.finish(job, 'failed', { error: (error as Error).message, ...(code && { error_code: code }) });
    }
  }

  private async finish(job: InlineJob, state: JobView['state'], fields: Partial<JobView>): Promise<void> {
    Object.assign(job.view, { ...fields, state, finished_at: new Date().toISOString() });
    const finished = [...this.jobs.values()].filter((entry) => !['waiting', 'active'].includes(entry.view.state));
    for (const old of finished.slice(0, Math.max(0, finished.length - HISTORY))) this.jobs.delete(old.view.id);
    await this.store(job.view);
  }

  /**
   * Stores a job's start or end (and forgets the oldest ended ones). A store that refuses it (busy) is
   * logged, not thrown: the job runs or has ended either way; after a crash it would be listed as
   * interrupted, which this line explains.
   */
  private async store(view: JobView): Promise<void> {
    if (!this.records) return;
    try {
      await this.records.store.save({ ...view });
      if (view.state !== 'active') await this.records.store.pruneEnded(HISTORY);
    } catch (error) {
      this.logger.warn({
        msg: 'Job state not stored',
        job: view.id,
        state: view.state,
        error: (error as Error).message,
      });
    }
  }
}
