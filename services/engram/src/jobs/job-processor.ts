import { Injectable } from '@nestjs/common';
import { LockWait } from '../storage/locks/store-locks';
import { JobDataByName, JobName } from './job.types';

/** What a processor may do while it runs: report progress, and notice a cancellation request. */
export interface JobContext {
  readonly jobId: string;
  /** Records progress (0-100) and what is happening; announced as a job_progress event. */
  progress(percent: number, stage: string): Promise<void>;
  /** Records what the job found out about its work, kept with it however it ends (JobView.details). */
  setDetails(details: Record<string, unknown>): Promise<void>;
  /** Throws JobCancelled when a cancellation was requested or the process is shutting down. */
  throwIfCancelled(): Promise<void>;
  /**
   * The last safe point before a step the job must finish once begun (a restore's swap): throws JobCancelled
   * as throwIfCancelled does, else from then on a cancel, through any api, is refused (409) with `reason`
   * rather than answered `cancelling` and left unhonoured.
   */
  enterFinalStep(reason: string): Promise<void>;
}

/** How a job waits for a lock: the wait shows as its stage, and a cancellation ends it. */
export function jobLockWait(job: Pick<JobContext, 'progress' | 'throwIfCancelled'>, percent: number): LockWait {
  return {
    whileWaiting: async (waitingFor) => {
      await job.progress(percent, `waiting for ${waitingFor} to finish`);
      await job.throwIfCancelled();
    },
  };
}

/** The one handler of a job name. Its result is stored with the job and sent in job_completed. */
export interface JobProcessor<N extends JobName = JobName> {
  readonly name: N;
  process(data: JobDataByName[N], context: JobContext): Promise<Record<string, unknown>>;
  /** The clean-up process() does at its end, for a job cancelled before it ran (an import's upload). */
  discard?(data: JobDataByName[N]): Promise<void>;
}

/**
 * Every job name's processor, registered by the module that owns it. A name without a processor, or
 * with two, stops start-up: a job nobody can run would otherwise wait forever.
 */
@Injectable()
export class JobProcessors {
  private readonly byName = new Map<JobName, JobProcessor>();

  register(processor: JobProcessor): void {
    if (this.byName.has(processor.name)) throw new Error(`Two processors registered for job "${processor.name}"`);
    this.byName.set(processor.name, processor);
  }

  get<N extends JobName>(name: N): JobProcessor<N> {
    const processor = this.byName.get(name);
    if (!processor) throw new Error(`No processor for job "${name}"`);
    return processor as unknown as JobProcessor<N>;
  }

  assertComplete(): void {
    const missing = Object.values(JobName).filter((name) => !this.byName.has(name));
    if (missing.length > 0) throw new Error(`Job names without a processor: ${missing.join(', ')}`);
  }
}
