import { randomUUID } from 'node:crypto';
import { SlotLeases, SlotMember } from '../storage/slot-leases';
import { Slot, SlotGate, SlotWait } from './slot-gate';

export interface LeaseTiming {
  /**
   * A ticket's lease and a process's: how long a process that died keeps its slots and its say in their
   * number, renewed every third of it while it lives.
   */
  leaseMs: number;
  /** How often a process whose ticket waits in line asks again (sooner when one of its own slots frees). */
  pollMs: number;
}

export const JUDGE_LEASE_TIMING: LeaseTiming = { leaseMs: 10_000, pollMs: 100 };

/** The judge's shared slots could not be asked for: the judgements waiting for one end unjudged. */
export class SharedSlotsUnreachable extends Error {
  constructor(cause: unknown) {
    super(`the judge slots the replicas share could not be reached: ${(cause as Error).message}`, { cause });
    this.name = 'SharedSlotsUnreachable';
  }
}

/** What a gate tells its owner. */
export interface LeasedSlotEvents {
  /** The processes agree on fewer slots than this one's limit: told once for each such size. */
  smallerSize(size: number, limit: number): void;
}

/**
 * Slots every process shares (SlotLeases in Redis, PostgreSQL or the SQLite file), so the judge gets at
 * most `size` requests from the whole deployment, `size` being the smallest limit among the live processes
 * (each attends with its own limit from `join` to `leave`, so one configured lower holds the others to
 * it while it lives, and stops counting a lease after it dies). A process puts one ticket at a time in the
 * shared line, whatever number of its judgements wait, and a new one at the back once that ticket holds a
 * slot: processes take the freed slots in turn, so a burst on one waits behind one turn of each other
 * process, as a namespace's burst waits behind the other namespaces in JudgeSlots. Which of its judgements
 * gets the slot each process decides itself (JudgeSlots' round of namespaces), so waits stay in memory.
 */
export class LeasedSlotGate implements SlotGate {
  private wake: (() => void) | undefined;
  /** Slots this process has given back: one given back during a claim makes the next try come at once. */
  private givenBack = 0;
  private readonly member: SlotMember;
  private attendance: NodeJS.Timeout | undefined;
  private readonly smallerSizesTold = new Set<number>();

  constructor(
    private readonly leases: SlotLeases,
    private readonly semaphore: string,
    limit: number,
    private readonly timing: LeaseTiming = JUDGE_LEASE_TIMING,
    private readonly events?: LeasedSlotEvents,
  ) {
    this.member = { id: randomUUID(), limit };
  }

  /**
   * Counts this process's limit from now until `leave` (or a lease after it dies), so the others hold
   * to it even while it judges nothing. A store that does not answer is asked again a third of a lease
   * later; the claims report their own errors.
   */
  async join(): Promise<void> {
    if (this.attendance) return;
    this.attendance = setInterval(() => void this.attend(), this.timing.leaseMs / 3);
    this.attendance.unref();
    await this.attend();
  }

  /** Stops counting this process's limit at once: the others go back to theirs. */
  async leave(): Promise<void> {
    clearInterval(this.attendance);
    this.attendance = undefined;
    await this.leases.leave(this.semaphore, this.member.id).catch(() => undefined); // else it lapses
  }

  /** Never at once: only the shared line knows whether a slot is free. */
  takeNow(): undefined {
    return undefined;
  }

  async take(wait: SlotWait): Promise<Slot | undefined> {
    const ticket = randomUUID();
    try {
      for (;;) {
        const givenBack = this.givenBack;
        const { held, size } = await this.leases.claim(this.semaphore, this.member, ticket, this.timing.leaseMs);
        this.noteSize(size);
        if (held) break;
        wait.refused();
        await this.nextTry(givenBack);
        if (!wait.wanted()) {
          await this.leases.release(this.semaphore, ticket);
          return undefined;
        }
      }
    } catch (error) {
      void this.leases.release(this.semaphore, ticket).catch(() => undefined); // else its lease runs out
      throw new SharedSlotsUnreachable(error);
    }
    return this.held(ticket);
  }

  private async attend(): Promise<void> {
    try {
      this.noteSize(await this.leases.attend(this.semaphore, this.member, this.timing.leaseMs));
    } catch {
      // Tried again at the next attendance; a claim meanwhile attends too, and reports the failure.
    }
  }

  private noteSize(size: number): void {
    if (size >= this.member.limit || this.smallerSizesTold.has(size)) return;
    this.smallerSizesTold.add(size);
    this.events?.smallerSize(size, this.member.limit);
  }

  private held(ticket: string): Slot {
    // A failed renewal is tried again a third of a lease later; a lease that ran out meanwhile lets one
    // more request reach the judge, never blocks one.
    const renewal = setInterval(
      () => void this.leases.renew(this.semaphore, ticket, this.timing.leaseMs).catch(() => undefined),
      this.timing.leaseMs / 3,
    );
    renewal.unref();
    return {
      giveBack: () => {
        clearInterval(renewal);
        // A slot the store did not take back is free once its lease runs out.
        void this.leases
          .release(this.semaphore, ticket)
          .catch(() => undefined)
          .then(() => {
            this.givenBack += 1;
            this.wake?.();
          });
      },
    };
  }

  /** Waits a poll, or less when a slot of this process was given back since `givenBack` (the line moved). */
  private nextTry(givenBack: number): Promise<void> {
    if (this.givenBack !== givenBack) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake?.(), this.timing.pollMs);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }
}
