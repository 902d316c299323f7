import { JobsConfig } from '../config/config.types';
import { WaitingLimits } from './job-admission';
import { JobCounts, JobDataByName, JobName, JobView, QueueName } from './job.types';

/** The bounds a queue keeps: jobs waiting (job-admission.ts), and finished jobs kept per namespace. */
export type JobQueueLimits = WaitingLimits & Pick<JobsConfig, 'keepFinishedPerNamespace'>;

export interface EnqueueOptions {
  /** A deterministic id makes enqueueing idempotent: a second add with the same id returns the first job. */
  jobId?: string;
  /**
   * While a job enqueued with the same key waits or runs, enqueueing returns that job instead of adding
   * another (across processes with BullMQ): concurrent "back up now" requests share one backup.
   */
  joinKey?: string;
}

export type CancelOutcome = 'cancelled' | 'cancelling';

/**
 * The queue port. Two adapters: BullMQ on Redis (REDIS_URL; a separate worker process consumes) and
 * inline (in-process, one job at a time). Both run the same processors through the same JobRunner,
 * so progress, events and metrics are identical.
 */
export interface JobQueue {
  readonly kind: 'inline' | 'bullmq';
  readonly queue: QueueName;
  /** Throws JobQueueFull (429) when the bound of waiting jobs is reached and the job joins none. */
  enqueue<N extends JobName>(name: N, data: JobDataByName[N], options?: EnqueueOptions): Promise<JobView>;
  /** Undefined when no such job exists (or it aged out of the history). */
  get(id: string): Promise<JobView | undefined>;
  /**
   * Most recent first; with `namespace`, only that namespace's jobs (jobNamespace), so a tenant's own
   * history is read whole, however many jobs other namespaces run. Every process's jobs: those in Redis, or
   * inline those of every api on the store.
   */
  list(limit: number, namespace?: string): Promise<JobView[]>;
  /**
   * Waiting jobs are removed; an active job is asked to stop at its next safe point, the request recorded
   * (in the store, or Redis) before `cancelling` is answered, so it outlives the process running the job.
   * Inline, a job another api on the store keeps is asked through the store: that api ends it. A job that
   * has entered a step it must finish (JobContext.enterFinalStep) is refused: JobPastCancelling (409).
   */
  cancel(id: string): Promise<CancelOutcome>;
  counts(): Promise<JobCounts>;
  /** Runs the job on a cron schedule (replacing an earlier schedule of the same name); undefined removes it. */
  schedule<N extends JobName>(name: N, cron: string | undefined, data: JobDataByName[N]): Promise<void>;
  /** Next scheduled run of the job, if scheduled. */
  nextRun(name: JobName): Promise<Date | undefined>;
  /** Starts consuming (when this process consumes); called once every processor is registered. */
  start(): Promise<void>;
  /** Stops taking jobs and waits for the current one to finish or be released. */
  close(): Promise<void>;
  /** Throws JobQueueUnavailable when the backend cannot be reached. */
  ping(): Promise<void>;
}

/** Nest injection token for the configured JobQueue. */
export const JOB_QUEUE = Symbol('JOB_QUEUE');
