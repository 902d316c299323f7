import { DelayedError, Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { once } from 'node:events';
import { RedisKeys } from '../config/redis-keys';
import { EventBus } from '../events/event-bus';
import { failureCode, isStoreBusy } from '../process/plain-failure';
import { SpanKind, traced, withTraceContext } from '../tracing/spans';
import { CancelOutcome, EnqueueOptions, JobQueue, JobQueueLimits } from './job-queue';
import { admitJob } from './job-admission';
import { FinishedJobIndex } from './finished-job-index';
import { newJobId } from './job-id';
import { JobRunner } from './job-runner';
import { JobCancelled, JobNotCancellable, JobPastCancelling, JobQueueUnavailable } from './job.errors';
import {
  AnyJobData,
  emptyCounts,
  JobCounts,
  JobDataByName,
  JobName,
  jobNamespace,
  JobProgress,
  JobView,
  QueueName,
} from './job.types';

export interface BullMqOptions {
  url: string;
  /** The deployment's key names: the queue, its jobs and cancellations live under its prefix. */
  keys: RedisKeys;
  /** True in the worker process: take jobs from the queue and run them. */
  consume: boolean;
  /**
   * True where nothing works without Redis (the worker, an operator command): start() waits for the
   * connection, since a command sent while it is still connecting is refused at once.
   */
  waitForConnection: boolean;
  /**
   * Jobs that may wait at once, in all and per namespace (enqueueing beyond is refused, job-admission.ts),
   * and finished jobs each namespace keeps (finished-job-index.ts).
   */
  limits: JobQueueLimits;
  /**
   * How long a job stays claimed without a lock renewal. A killed worker's job returns to the queue
   * after this (plus the stalled-check interval) and is run again, from where it had got to.
   */
  lockDurationMs?: number;
}

const CANCELLED_REASON = new JobCancelled().message;
/**
 * A job's cancel key holds this once a cancel was asked; else, once set, why the job can no longer be
 * cancelled (JobContext.enterFinalStep). Set only if absent: whichever comes first, the cancel or the step, wins.
 */
const CANCEL_ASKED = '1';
/** How long a cancel key outlives its job's last use of it. */
const CANCEL_KEY_SECONDS = 86_400;
/** Deletes a cancel key (KEYS[1]) unless it holds a cancel (ARGV[1]), in one step with the read. */
const FORGET_FINAL_STEP = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then redis.call('DEL', KEYS[1]) end return 0`;
/** Stalls (the worker running the job stopped: a crash, a kill) BullMQ lets a job through; the next fails it. */
const MAX_STALLED = 3;
/** BullMQ's failedReason for a job failed by its stalled-job check. */
const STALLED_REASON = 'job stalled more than allowable limit';
/** What such a job's view and audit entry say instead, with `interrupted` as its error_code. */
const STALLED_IN_WORDS = `Interrupted: the worker running this job stopped (a crash or a kill) each of the ${MAX_STALLED + 1} times it was taken; request it again`;
/** Jobs not yet taken by a worker: what the bounds on waiting jobs count. */
const WAITING_STATES = ['waiting', 'prioritized', 'delayed'] as const;

/**
 * The Redis adapter: jobs persist in Redis and a separate worker process (`engram worker`) runs them.
 * In the api it only adds, lists and cancels; when Redis is unreachable those answer JobQueueUnavailable
 * at once (the client does not buffer commands), so the memory routes never wait on it.
 */
export class BullMqJobQueue implements JobQueue {
  readonly kind = 'bullmq';
  readonly queue = QueueName.Maintenance;
  private readonly client: Redis;
  private readonly bullQueue: Queue;
  private readonly finished: FinishedJobIndex;
  private worker: Worker | undefined;
  private shuttingDown = false;

  constructor(
    private readonly options: BullMqOptions,
    private readonly runner: JobRunner,
    private readonly events: EventBus,
  ) {
    this.client = new Redis(options.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      lazyConnect: false,
    });
    // Reconnection is automatic; an unreachable Redis surfaces as 503s and readiness, not as crashes.
    this.client.on('error', () => undefined);
    this.bullQueue = new Queue(this.queue, { connection: this.client, prefix: options.keys.bullPrefix });
    this.bullQueue.on('error', () => undefined);
    this.finished = new FinishedJobIndex(
      this.client,
      options.keys,
      this.bullQueue,
      options.limits.keepFinishedPerNamespace,
    );
  }

  async enqueue<N extends JobName>(name: N, data: JobDataByName[N], options: EnqueueOptions = {}): Promise<JobView> {
    const joined = await this.joinable(options.joinKey);
    if (joined) return this.view(joined);
    await admitJob(data, this.options.limits, {
      total: async () => {
        const counts = await this.call(() => this.bullQueue.getJobCounts(...WAITING_STATES));
        return counts.waiting + counts.prioritized + counts.delayed;
      },
      // Every replica's: read from Redis, at most ENGRAM_JOBS_MAX_WAITING jobs (a few more after races).
      inNamespace: async (namespace) => {
        const waiting = (await this.call(() => this.bullQueue.getJobs([...WAITING_STATES]))) as Job[];
        return waiting.filter((job) => job && jobNamespace(job.data) === namespace).length;
      },
    });
    // A producer span whose context travels in the job data to the worker's consumer span.
    const enqueue = () =>
      this.bullQueue.add(name, withTraceContext(data), {
        jobId: options.jobId ?? newJobId(),
        // BullMQ's deduplication joins atomically, even when two replicas add at once.
        deduplication: options.joinKey ? { id: options.joinKey } : undefined,
        attempts: 3,
        backoff: { type: 'exponential', delay: 5000 },
        // Kept until their namespace's newer finished jobs push them out (FinishedJobIndex), not by count.
        removeOnComplete: false,
        removeOnFail: false,
      });
    const job = await this.call(() =>
      traced(`enqueue ${name}`, { 'engram.job.name': name }, enqueue, SpanKind.PRODUCER),
    );
    this.events.publish('job_queued', { job_id: job.id, name }, jobNamespace(data));
    return this.view(job);
  }

  /** The job holding the join key while it waits or runs (BullMQ drops the key when it ends). */
  private async joinable(joinKey: string | undefined): Promise<Job | undefined> {
    if (joinKey === undefined) return undefined;
    const id = await this.call(() => this.bullQueue.getDeduplicationJobId(joinKey));
    return id ? ((await this.call(() => this.bullQueue.getJob(id))) as Job | undefined) : undefined;
  }

  async get(id: string): Promise<JobView | undefined> {
    const job = await this.call(() => this.bullQueue.getJob(id));
    return job ? this.view(job as Job) : undefined;
  }

  async list(limit: number, namespace?: string): Promise<JobView[]> {
    const jobs = namespace === undefined ? await this.recentJobs(limit) : await this.namespaceJobs(limit, namespace);
    const views = await Promise.all(jobs.filter(Boolean).map((job) => this.view(job)));
    return views.sort((a, b) => b.created_at.localeCompare(a.created_at)).slice(0, limit);
  }

  private async recentJobs(limit: number): Promise<Job[]> {
    const states = ['active', 'waiting', 'delayed', 'prioritized', 'completed', 'failed'] as const;
    return (await this.call(() => this.bullQueue.getJobs([...states], 0, limit - 1, false))) as Job[];
  }

  /** Its unfinished jobs (as many as may wait, and those running) and its own newest finished ones. */
  private async namespaceJobs(limit: number, namespace: string): Promise<Job[]> {
    const unfinished = (await this.call(() => this.bullQueue.getJobs(['active', ...WAITING_STATES]))) as Job[];
    const finishedIds = await this.call(() => this.finished.newest(namespace, limit));
    const finished = await Promise.all(finishedIds.map((id) => this.call(() => this.bullQueue.getJob(id))));
    return [...unfinished.filter((job) => job && jobNamespace(job.data) === namespace), ...(finished as Job[])];
  }

  async cancel(id: string): Promise<CancelOutcome> {
    const job = (await this.call(() => this.bullQueue.getJob(id))) as Job | undefined;
    if (!job) throw new JobNotCancellable(`No job with id ${id}`);
    const state = await this.call(() => job.getState());
    if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
      await this.call(() => job.remove());
      await this.runner.cancelledBeforeRun({ id: job.id!, name: job.name as JobName, data: job.data as AnyJobData });
      return 'cancelled';
    }
    if (state === 'active') {
      // The worker checks this key between batches and stops at that safe point.
      const key = this.options.keys.jobCancel(id);
      const asked = await this.call(() => this.client.set(key, CANCEL_ASKED, 'EX', CANCEL_KEY_SECONDS, 'NX'));
      const mark = asked === 'OK' ? CANCEL_ASKED : await this.call(() => this.client.get(key));
      if (mark !== null && mark !== CANCEL_ASKED) throw new JobPastCancelling(id, mark);
      return 'cancelling';
    }
    throw new JobNotCancellable(`Job ${id} already ended (${state})`);
  }

  async counts(): Promise<JobCounts> {
    const raw = await this.call(() =>
      this.bullQueue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized'),
    );
    const counts = emptyCounts();
    counts.waiting = (raw.waiting ?? 0) + (raw.prioritized ?? 0);
    for (const state of ['active', 'completed', 'failed', 'delayed'] as const) counts[state] = raw[state] ?? 0;
    return counts;
  }

  async schedule<N extends JobName>(name: N, cron: string | undefined, data: JobDataByName[N]): Promise<void> {
    if (cron === undefined) {
      await this.call(() => this.bullQueue.removeJobScheduler(name));
      return;
    }
    await this.call(() =>
      this.bullQueue.upsertJobScheduler(
        name,
        { pattern: cron, tz: 'UTC' },
        { name, data, opts: { removeOnComplete: false, removeOnFail: false } },
      ),
    );
  }

  async nextRun(name: JobName): Promise<Date | undefined> {
    const scheduler = await this.call(() => this.bullQueue.getJobScheduler(name));
    return scheduler?.next ? new Date(scheduler.next) : undefined;
  }

  async start(): Promise<void> {
    if (this.worker) return;
    if (this.options.waitForConnection) await this.connected();
    if (!this.options.consume) return;
    const lockDuration = this.options.lockDurationMs ?? 30_000;
    this.worker = new Worker(this.queue, (job, token, signal) => this.process(job, token, signal), {
      connection: { url: this.options.url, maxRetriesPerRequest: null } as never,
      prefix: this.options.keys.bullPrefix,
      concurrency: 1,
      autorun: false,
      lockDuration,
      stalledInterval: Math.max(1000, Math.round(lockDuration / 2)),
      // A job killed with its worker comes back; only repeated kills of the same job fail it.
      maxStalledCount: MAX_STALLED,
    });
    this.worker.on('error', () => undefined);
    this.worker.on('completed', (job) => void this.finished.add(job));
    this.worker.on('failed', (job) => void (job && this.failed(job)));
    void this.worker.run();
  }

  /**
   * Files a job's last failure (a failed attempt to be retried has no finishedOn yet). One failed by the
   * stalled-job check never reached process(), so the runner did not end it: it is ended here, audited and
   * announced as any failure, before it is filed.
   */
  private async failed(job: Job): Promise<void> {
    if (!job.finishedOn) return;
    if (failedAsStalled(job)) {
      const runnable = { id: job.id!, name: job.name as JobName, data: job.data as AnyJobData, queue: this.queue };
      await this.runner.abandoned(runnable, new Error(STALLED_IN_WORDS));
    }
    await this.finished.add(job);
  }

  /**
   * Stops taking jobs. The current job stops at its next safe point and goes back to the queue, where
   * the next worker continues it (the reindex from its staged vectors); a job without safe points finishes.
   */
  async close(): Promise<void> {
    this.shuttingDown = true;
    await this.worker?.close();
    await this.bullQueue.close();
    this.client.disconnect();
  }

  async ping(): Promise<void> {
    if (this.client.status !== 'ready') throw new JobQueueUnavailable(`connection ${this.client.status}`);
    await this.call(() => this.client.ping());
  }

  private async process(
    job: Job,
    token: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Record<string, unknown>> {
    // Details ride with the progress BullMQ keeps (a job has no other field a running worker may update).
    let reported = (typeof job.progress === 'object' ? job.progress : { percent: 0, stage: '' }) as JobProgress;
    const report = (update: Partial<JobProgress>) => job.updateProgress((reported = { ...reported, ...update }));
    // An earlier attempt's failure must not be read as this one's (a retry that stalls has no code).
    if (reported.error_code !== undefined) await report({ error_code: undefined });
    const runnable = { id: job.id!, name: job.name as JobName, data: job.data as AnyJobData, queue: this.queue };
    await this.forgetFinalStep(job.id!);
    if (await this.cancelAsked(job.id!)) {
      // Cancelled while a worker that then died ran it: it ends as the requester was told, not run again.
      await this.runner.cancelledBetweenAttempts(runnable);
      throw new UnrecoverableError(CANCELLED_REASON);
    }
    try {
      return await this.runner.run(runnable, {
        saveProgress: (percent, stage) => report({ percent, stage }),
        saveDetails: (details) => report({ details }),
        stopReason: async () => {
          if (this.shuttingDown) return 'released';
          return signal?.aborted === true || (await this.cancelAsked(job.id!)) ? 'cancelled' : undefined;
        },
        becomeUncancellable: (reason) => this.enterFinalStep(job.id!, reason),
      });
    } catch (error) {
      if (error instanceof JobCancelled && error.released) {
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      // Kept where the view reads it: BullMQ keeps only the message of a failure. Undefined clears it.
      if (!(error instanceof JobCancelled)) await report({ error_code: failureCode(error) }).catch(() => undefined);
      // Not retried, as the inline queue never retries: a cancelled job; one whose input is wrong (a domain
      // error, with its HTTP status); one that met a busy store, SQLite's busy timeout included. That work
      // already waited as long as it may for the holder (a restore's swap, a reindex switch, another
      // writer), and starting it over 5 s later would hold the command that follows it for three attempts
      // while the holder may still hold the store; it fails at once with its code (75 to a command).
      if (error instanceof JobCancelled || (error as { status?: number }).status !== undefined || isStoreBusy(error)) {
        throw new UnrecoverableError((error as Error).message);
      }
      throw error;
    }
  }

  private async cancelAsked(id: string): Promise<boolean> {
    return (await this.client.get(this.options.keys.jobCancel(id))) === CANCEL_ASKED;
  }

  /**
   * Each attempt runs the job from its start (a retry after a failure, or after its worker was killed), so a
   * final step an earlier attempt entered is not entered yet: cancels are taken again until this attempt
   * enters it. A cancel asked stands.
   */
  private async forgetFinalStep(id: string): Promise<void> {
    await this.client.eval(FORGET_FINAL_STEP, 1, this.options.keys.jobCancel(id), CANCEL_ASKED);
  }

  /** False when a cancel was asked first; true when the step was entered now or earlier in this attempt. */
  private async enterFinalStep(id: string, reason: string): Promise<boolean> {
    const key = this.options.keys.jobCancel(id);
    if ((await this.client.set(key, reason, 'EX', CANCEL_KEY_SECONDS, 'NX')) === 'OK') return true;
    return (await this.client.get(key)) !== CANCEL_ASKED;
  }

  private async view(read: Job): Promise<JobView> {
    const state = await this.call(() => read.getState());
    // The job may have ended between reading it and reading its state: read it again for its result.
    const ended = (state === 'completed' || state === 'failed') && read.finishedOn === undefined;
    const job = ended ? (((await this.call(() => this.bullQueue.getJob(read.id!))) as Job | undefined) ?? read) : read;
    const progress = (
      typeof job.progress === 'object' ? job.progress : { percent: job.progress }
    ) as Partial<JobProgress>;
    const cancelled = state === 'failed' && job.failedReason === CANCELLED_REASON;
    const stalled = state === 'failed' && failedAsStalled(job);
    return {
      id: job.id!,
      name: job.name as JobName,
      queue: this.queue,
      state: cancelled ? 'cancelled' : state === 'prioritized' ? 'waiting' : (state as JobView['state']),
      progress: state === 'completed' ? 100 : Number(progress.percent ?? 0),
      stage: progress.stage || undefined,
      data: job.data as AnyJobData,
      details: progress.details,
      result: job.returnvalue ?? undefined,
      error: stalled ? STALLED_IN_WORDS : state === 'failed' ? job.failedReason : undefined,
      error_code: stalled ? 'interrupted' : state === 'failed' && !cancelled ? progress.error_code : undefined,
      attempts: job.attemptsMade,
      created_at: new Date(job.timestamp).toISOString(),
      started_at: job.processedOn ? new Date(job.processedOn).toISOString() : undefined,
      finished_at: job.finishedOn ? new Date(job.finishedOn).toISOString() : undefined,
    };
  }

  /** Start-up goes on once Redis answers (it may still be connecting), or fails after a while. */
  private async connected(timeoutMs = 10_000): Promise<void> {
    if (this.client.status === 'ready') return;
    const ready = once(this.client, 'ready', { signal: AbortSignal.timeout(timeoutMs) });
    await ready.catch(() => {
      throw new JobQueueUnavailable(`connection ${this.client.status} after ${timeoutMs / 1000} s`);
    });
  }

  /** Runs a Redis call, turning connection failures into JobQueueUnavailable (503). */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    if (this.client.status !== 'ready' && this.client.status !== 'connect') {
      throw new JobQueueUnavailable(`connection ${this.client.status}`);
    }
    try {
      return await operation();
    } catch (error) {
      if (error instanceof JobNotCancellable) throw error;
      throw new JobQueueUnavailable((error as Error).message);
    }
  }
}

/** Whether BullMQ's stalled-job check failed the job: its worker stopped while running it too many times. */
function failedAsStalled(job: Job): boolean {
  return job.failedReason === STALLED_REASON;
}
