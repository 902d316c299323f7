import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { JOB_RUNNER, jobEndEntry } from '../audit/job-audit';
import { runInContext } from '../auth/request-context';
import { AuditService } from '../audit/audit.service';
import { DATABASE_BUSY_MESSAGE, isDatabaseBusy } from '../common/error-response';
import { STORE_WIDE } from '../events/engram-event';
import { EventBus } from '../events/event-bus';
import { EngramMetrics, JobOutcome } from '../metrics/engram-metrics';
import { tracedJob } from '../tracing/spans';
import { JobContext, JobProcessors } from './job-processor';
import { JobCancelled } from './job.errors';
import { jobNamespace } from './job.types';
import { PROCESS_ROLE, ProcessRole } from './process-role';
import { AnyJobData, JobName, QueueName } from './job.types';

export interface RunnableJob {
  id: string;
  name: JobName;
  data: AnyJobData;
  queue: QueueName;
}

/** How an adapter persists progress and learns about cancellation; the runner adds events and metrics. */
export interface JobHooks {
  saveProgress(percent: number, stage: string): Promise<void>;
  saveDetails(details: Record<string, unknown>): Promise<void>;
  /** Why the job should stop at its next safe point, if it should. */
  stopReason(): Promise<'cancelled' | 'released' | undefined>;
  /**
   * Records that the job has entered a step it must finish, so cancels are refused from now on with
   * `reason`; false when a cancel was recorded first (the job then stops as cancelled).
   */
  becomeUncancellable(reason: string): Promise<boolean>;
}

/**
 * Runs one job through its processor, the same way for both adapters: progress and outcome are
 * announced on the event bus and counted in engram_jobs_total / engram_job_duration_seconds /
 * engram_jobs_running.
 */
@Injectable()
export class JobRunner {
  private readonly logger = new Logger('Jobs');

  constructor(
    private readonly processors: JobProcessors,
    private readonly events: EventBus,
    private readonly metrics: EngramMetrics,
    private readonly audit: AuditService,
    @Optional() @Inject(PROCESS_ROLE) private readonly role: ProcessRole = 'api',
  ) {}

  async run(job: RunnableJob, hooks: JobHooks): Promise<Record<string, unknown>> {
    const stopTimer = this.metrics.jobDuration.startTimer({ name: job.name });
    this.metrics.jobsRunning.inc({ queue: job.queue, name: job.name });
    const context: JobContext = {
      jobId: job.id,
      progress: async (percent, stage) => {
        const rounded = Math.max(0, Math.min(100, Math.round(percent)));
        await hooks.saveProgress(rounded, stage);
        this.events.publish(
          'job_progress',
          { job_id: job.id, name: job.name, progress: rounded, stage },
          jobNamespace(job.data),
        );
      },
      setDetails: (details) => hooks.saveDetails(details),
      throwIfCancelled: async () => {
        const reason = await hooks.stopReason();
        if (reason) throw new JobCancelled(reason === 'released');
      },
      enterFinalStep: async (reason) => {
        await context.throwIfCancelled();
        if (!(await hooks.becomeUncancellable(reason))) throw new JobCancelled();
      },
    };
    this.logger.log({ msg: 'Job started', job: job.id, name: job.name });
    try {
      const processor = this.processors.get(job.name);
      const result = await tracedJob(job, () =>
        inJobContext(job.data, () => processor.process(job.data as never, context)),
      );
      this.count(job, 'completed');
      this.events.publish('job_completed', { job_id: job.id, name: job.name, result }, jobNamespace(job.data));
      await this.recordEnd(job, { result });
      this.logger.log({ msg: 'Job completed', job: job.id, name: job.name });
      return result;
    } catch (thrown) {
      const error = inPlainWords(thrown);
      if (error instanceof JobCancelled && error.released) {
        this.count(job, 'released');
        this.logger.log({ msg: 'Job released at shutdown', job: job.id, name: job.name });
        throw error;
      }
      const cancelled = error instanceof JobCancelled;
      this.count(job, cancelled ? 'cancelled' : 'failed');
      await this.recordEnd(job, { error: error as Error });
      this.announceFailure(job, error as Error, cancelled);
      // An operator command says why its job failed in its own one line; the log would only repeat it.
      const report = { msg: cancelled ? 'Job cancelled' : 'Job failed', job: job.id, error: (error as Error).message };
      if (this.role === 'cli') this.logger.debug(report);
      else this.logger.warn(report);
      throw error;
    } finally {
      stopTimer();
      this.metrics.jobsRunning.dec({ queue: job.queue, name: job.name });
    }
  }

  /**
   * A job cancelled while it waited: announced and audited as a cancelled running job is (job_failed with
   * `cancelled`), and its processor's clean-up run, since process() never will. Not counted in
   * engram_jobs_total: it never ran.
   */
  async cancelledBeforeRun(job: Omit<RunnableJob, 'queue'>): Promise<void> {
    await this.endCancelledUnrun(job, 'Job cancelled before it ran');
  }

  /**
   * A job whose cancel was asked while an earlier attempt ran it, that attempt ended otherwise (its worker
   * killed or stopped, a failure retried), ended by the worker taking it next without running it again: as
   * cancelledBeforeRun, and counted cancelled, as a run stopped by its cancel is.
   */
  async cancelledBetweenAttempts(job: RunnableJob): Promise<void> {
    this.count(job, 'cancelled');
    await this.endCancelledUnrun(job, 'Job cancelled, the attempt running it ended first');
  }

  private async endCancelledUnrun(job: Omit<RunnableJob, 'queue'>, msg: string): Promise<void> {
    const error = new JobCancelled();
    await this.recordEnd(job, { error });
    this.announceFailure(job, error, true);
    this.logger.log({ msg, job: job.id, name: job.name });
    try {
      await this.processors.get(job.name).discard?.(job.data as never);
    } catch (cleanUpError) {
      // The job is gone either way; what it left behind is pruned with other abandoned uploads.
      this.logger.warn({
        msg: 'Clean-up of a cancelled job failed',
        job: job.id,
        error: (cleanUpError as Error).message,
      });
    }
  }

  /**
   * A job its api never ended (a crash, a kill), ended by the api that took its jobs over (another api on
   * the store, or its own restart, before the restarted api serves): audited, then announced as a job that
   * fails or is cancelled while it runs is (job_failed, `cancelled` when its cancel had been recorded), so a
   * client following the events learns it ended. Counted in engram_jobs_total as interrupted, not failed: its
   * own work did not fail, and a routine restart catching a job must not read as one that did; or cancelled,
   * except one cancelled before it ever started, as cancelledBeforeRun's is not.
   */
  async interrupted(job: RunnableJob & { started_at?: string }, error: Error, cancelled: boolean): Promise<void> {
    if (!cancelled || job.started_at !== undefined) this.count(job, cancelled ? 'cancelled' : 'interrupted');
    await this.recordEnd(job, { error }, { wait: true });
    this.announceFailure(job, error, cancelled);
  }

  /**
   * A job failed without reaching run() because the worker running it stopped (a crash, a kill) every time it
   * took it, so often that BullMQ's stalled-job check ended it: audited, announced and counted as any failure
   * (failed, not interrupted: a worker stopped normally hands its job back, so four deaths in a row under
   * one job point at the job).
   */
  async abandoned(job: RunnableJob, error: Error): Promise<void> {
    this.count(job, 'failed');
    await this.recordEnd(job, { error });
    this.announceFailure(job, error, false);
    this.logger.warn({ msg: 'Job failed: its worker stopped while running it', job: job.id, name: job.name });
  }

  private announceFailure(job: Omit<RunnableJob, 'queue'>, error: Error, cancelled: boolean): void {
    this.events.publish(
      'job_failed',
      { job_id: job.id, name: job.name, error: error.message, cancelled },
      jobNamespace(job.data),
    );
  }

  /**
   * The job's end in the audit log. A completed job is reported ended only once its entry is stored: its
   * success is an acknowledgment a crash must not outrun. A failed or cancelled one does not wait for a busy
   * store, which would hold back the very failure it reports; its entry is written once the store allows.
   * An entry never stored is logged by the audit service; the job's own outcome stands, as its work is done.
   */
  private async recordEnd(
    job: Omit<RunnableJob, 'queue'>,
    end: Parameters<typeof jobEndEntry>[1],
    { wait = 'result' in end } = {},
  ): Promise<void> {
    const stored = this.audit.record(jobEndEntry(job, end)).catch(() => undefined);
    if (wait) await stored;
  }

  private count(job: RunnableJob, outcome: JobOutcome): void {
    this.metrics.jobs.inc({ queue: job.queue, name: job.name, outcome });
  }
}

/**
 * SQLite's busy timeout in the words REST answers it with ("…; retry shortly", not "database is locked"),
 * its code kept: a job's failure is read by people (the job view, `engram import`) and by code (error_code).
 */
function inPlainWords(error: unknown): unknown {
  if (!isDatabaseBusy(error)) return error;
  return Object.assign(new Error(DATABASE_BUSY_MESSAGE), { code: (error as { code: string }).code });
}

/**
 * A namespace's job (an import, a scan) runs in that namespace, as the job runner (it was admitted when
 * asked for); a whole-store job (backup, restore, reindex) runs in none, so code of it asking for a
 * namespace fails rather than acting on the default one.
 */
function inJobContext<T>(data: unknown, work: () => Promise<T>): Promise<T> {
  const namespace = jobNamespace(data);
  if (namespace === STORE_WIDE) return work();
  return runInContext({ principal: JOB_RUNNER, namespace, clientAddress: 'local' }, work);
}
