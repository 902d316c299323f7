import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { JobRecordStore, TakenJobs } from '../storage/job-record.store';
import { HeldLock, LockRepository } from '../storage/locks/lock.repository';
import { JobCancelled } from './job.errors';
import { JobView } from './job.types';

/** How often an api looks for apis that stopped with jobs; a dead api's jobs are ended within about this. */
const OWNER_SWEEP_MS = 10_000;
/**
 * Held shared by every api keeping its jobs in the store; one that gets it exclusive at start knows no
 * such api is alive. Kept for the jobs stored before owners were (migration 036), which carry none.
 */
const RECORDS_LOCK = 'inline-job-records';
/** Held exclusive by an api for its lifetime, named for its owner id: free means that api is gone. */
const ownerLock = (owner: string) => `inline-job-owner-${owner}`;
/** Why a job accepted by an api that stopped never ended; `interrupted` is its error_code. */
const INTERRUPTED = (state: string) =>
  `Interrupted: the api stopped (a crash, a kill or a restart) while this job was ${state === 'active' ? 'running' : 'waiting'}; request it again`;

/** Where a serving api keeps its jobs so that one answered 202 outlives a crash, and the locks that guard them. */
export interface InlineJobRecords {
  store: JobRecordStore;
  locks: LockRepository;
  /** How often to look for apis that stopped (OWNER_SWEEP_MS unless a test says otherwise). */
  sweepEveryMs?: number;
}

/**
 * Which api keeps which stored job. Each api stores its jobs under an owner id of its own and holds that
 * id's lock for its lifetime; the lock dies with the process (kernel file locks, PostgreSQL sessions). At
 * start and then every 10 seconds, each api tries the lock of every other owner with stored jobs: taking it
 * means that api is gone, so its jobs are taken over, the unended ones ended (interrupted, or cancelled when
 * a cancel was recorded), in one transaction that a second api racing for them finds already done. `onTaken`
 * receives what this api took, to list it and to audit the jobs it ended (each by exactly one api).
 */
export class InlineJobOwners {
  readonly id = randomBytes(8).toString('hex');
  private held: HeldLock | undefined;
  private recordsHeld: HeldLock | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private readonly logger = new Logger('Jobs');

  constructor(
    private readonly records: InlineJobRecords,
    private readonly onTaken: (taken: TakenJobs) => Promise<void>,
  ) {}

  /** Takes this api's own lock, then the jobs of apis already gone, before the api serves. */
  async start(): Promise<void> {
    this.held = await this.records.locks.tryAcquire(ownerLock(this.id), 'exclusive');
    if (!this.held) throw new Error(`The lock of job owner ${this.id} is held elsewhere`);
    const alone = await this.records.locks.tryAcquire(RECORDS_LOCK, 'exclusive');
    if (alone) {
      await this.takeOver(null);
      await alone.release();
    }
    this.recordsHeld = await this.records.locks.tryAcquire(RECORDS_LOCK, 'shared');
    await this.sweepOwners();
    this.timer = setInterval(() => void this.sweep(), this.records.sweepEveryMs ?? OWNER_SWEEP_MS);
    this.timer.unref();
  }

  /** Stores the job as it stands now, as this api's. */
  save(job: JobView): Promise<void> {
    return this.records.store.save(job, this.id);
  }

  /**
   * Ends this api's jobs left unended (released at shutdown, or waiting) in the store, then lets go of its
   * locks, so another api (or this one restarted) takes them over and reports them.
   */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
    if (this.held) await this.endOwnJobs();
    await this.recordsHeld?.release();
    if (!this.held) return;
    await this.records.locks.forget(ownerLock(this.id));
    await this.held.release();
  }

  /** One look at every other owner; one pass at a time. Failures (a busy store) wait for the next pass. */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOwners()
      .catch((error: Error) => this.logger.warn({ msg: 'Jobs of stopped apis not checked', error: error.message }))
      .finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async sweepOwners(): Promise<void> {
    for (const owner of await this.records.store.owners()) {
      if (owner === this.id) continue;
      const gone = await this.records.locks.tryAcquire(ownerLock(owner), 'exclusive');
      if (!gone) continue;
      try {
        await this.takeOver(owner);
        await this.records.locks.forget(ownerLock(owner));
      } finally {
        await gone.release();
      }
    }
  }

  /**
   * Ends them as the take-over would, but now: every api reads them ended as soon as this one stops, rather
   * than running until another's sweep. Their end is still audited, counted and announced by the api that
   * takes them over, which lives on to be scraped and to reach its own event streams. A store that refuses
   * (busy) leaves them to that take-over to end.
   */
  private async endOwnJobs(): Promise<void> {
    try {
      await this.records.store.endAtStop(this.id, endUnended);
    } catch (error) {
      this.logger.warn({ msg: 'Jobs left to the take-over to end', error: (error as Error).message });
    }
  }

  private async takeOver(owner: string | null): Promise<void> {
    const taken = await this.records.store.takeOver(owner, this.id, endUnended);
    if (taken.jobs.length > 0) await this.onTaken(taken);
  }
}

/**
 * A job its api left unended: cancelled when its cancel was recorded (asked through any api, answered
 * `cancelling`: the requester was told it would stop, and it did), else failed as interrupted.
 */
function endUnended(job: JobView, cancelRequested: boolean): JobView {
  const finished_at = new Date().toISOString();
  if (cancelRequested) return { ...job, state: 'cancelled', error: new JobCancelled().message, finished_at };
  return { ...job, state: 'failed', error: INTERRUPTED(job.state), error_code: 'interrupted', finished_at };
}
