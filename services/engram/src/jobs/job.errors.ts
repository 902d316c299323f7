import { DomainError } from '../common/domain-errors';
import { counted } from '../common/counted';

export class JobNotFound extends DomainError {
  readonly status = 404;
  readonly code = 'not_found';

  constructor(id: string) {
    super(`No job with id ${id}`);
  }
}

/** Redis is configured but cannot be reached: job endpoints answer 503, memory routes keep working. */
export class JobQueueUnavailable extends DomainError {
  readonly status = 503;
  readonly code = 'queue_unavailable';

  constructor(reason: string) {
    super(
      `The job queue is unavailable: Redis (REDIS_URL) cannot be reached (${reason}). ` +
        'Memories can still be stored and searched; retry the job once Redis is back.',
    );
  }
}

/** Too many jobs wait already: the caller comes back later instead of piling more on. */
export class JobQueueFull extends DomainError {
  readonly status = 429;
  readonly code = 'queue_full';
  override readonly retryAfterSeconds = 30;

  constructor(maxWaiting: number) {
    super(
      `${counted(maxWaiting, 'job is', 'jobs are')} already waiting (ENGRAM_JOBS_MAX_WAITING); retry once some have run`,
    );
  }
}

/** The caller's namespace has its share of waiting jobs already; other namespaces' jobs still get in. */
export class NamespaceJobsFull extends DomainError {
  readonly status = 429;
  readonly code = 'queue_full';
  override readonly retryAfterSeconds = 30;

  constructor(maxWaiting: number) {
    super(
      `This namespace already has ${counted(maxWaiting, 'job', 'jobs')} waiting (ENGRAM_JOBS_MAX_WAITING_PER_NAMESPACE); retry once some have run`,
    );
  }
}

export class JobNotCancellable extends DomainError {
  readonly status = 409;
  readonly code = 'not_cancellable';
}

/** A running job that has entered a step it must finish (JobContext.enterFinalStep): `reason` says which. */
export class JobPastCancelling extends JobNotCancellable {
  constructor(id: string, reason: string) {
    super(`Job ${id} can no longer be cancelled: ${reason}`);
  }
}

/**
 * The processor stopped at a safe point: cancelled on request, or released because the process is
 * shutting down (the job goes back to the queue and continues elsewhere).
 */
export class JobCancelled extends Error {
  constructor(readonly released = false) {
    super(released ? 'Released at shutdown' : 'Cancelled on request');
    this.name = 'JobCancelled';
  }
}
