import { Logger } from '@nestjs/common';
import { HeldLock, LockRepository } from '../storage/locks/lock.repository';

/** The store-wide lock whose holder runs the in-process (inline) schedules. */
export const SCHEDULE_LOCK = 'job-schedule';
/** How often a process that is not the owner tries again, so a survivor takes over from one that died. */
const RETRY_MS = 5_000;

/**
 * Without Redis every api process would run its own timers and fire each schedule once per process.
 * Exactly one process of the deployment owns them instead: the one holding SCHEDULE_LOCK (a file lock
 * beside SQLite, an advisory lock on PostgreSQL), held for the owner's lifetime and released by the
 * kernel or the server when it dies; the others keep trying and the first to get it takes over.
 */
export class ScheduleOwner {
  private readonly logger = new Logger('Jobs');
  private held: HeldLock | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly locks: LockRepository,
    private readonly retryMs = RETRY_MS,
  ) {}

  /** Calls `start` once, as soon as this process owns the schedules (at once, or after a takeover). */
  async whenOwner(start: () => Promise<void>): Promise<void> {
    if (this.closed) return;
    const lock = await this.locks.tryAcquire(SCHEDULE_LOCK, 'exclusive').catch(() => undefined);
    if (this.closed) {
      await lock?.release();
      return;
    }
    if (!lock) {
      this.timer = setTimeout(() => {
        this.whenOwner(start).catch((error: Error) =>
          this.logger.warn({ msg: 'Job schedules not started', error: error.message }),
        );
      }, this.retryMs);
      this.timer.unref();
      return;
    }
    this.held = lock;
    this.logger.log({ msg: 'This process runs the job schedules', lock: SCHEDULE_LOCK });
    await start();
  }

  /** Stops trying and hands the schedules to another process. */
  async release(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.held?.release();
    this.held = undefined;
  }
}

/**
 * Whether a running process owns this store's in-process schedules: an `engram serve` without Redis
 * with a backup schedule, the one api whose presence its store's locks record. Takes the lock and lets
 * it go at once, so a process that wants it meanwhile gets it at its next try.
 */
export async function schedulesOwnedElsewhere(locks: LockRepository): Promise<boolean> {
  const lock = await locks.tryAcquire(SCHEDULE_LOCK, 'exclusive');
  await lock?.release();
  return lock === undefined;
}
