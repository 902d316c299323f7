import { randomUUID } from 'node:crypto';
import { SlotLeases } from '../storage/slot-leases';
import { Slot, SlotGate } from './slot-gate';

export interface LeaseTiming {
  /** A ticket's lease: how long a replica that died keeps its slots, renewed every third of it while held. */
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

/**
 * Slots every replica shares (SlotLeases in Redis or PostgreSQL), so the judge gets at most `size`
 * requests from the whole deployment. A process puts one ticket at a time in the shared line, whatever
 * number of its judgements wait, and a new one at the back once that ticket holds a slot: replicas take
 * the freed slots in turn, so a burst on one replica waits behind one turn of each other replica, as a
 * namespace's burst waits behind the other namespaces in JudgeSlots. Which of its judgements gets the
 * slot each process decides itself (JudgeSlots' round of namespaces), so waits stay in memory.
 */
export class LeasedSlotGate implements SlotGate {
  private wake: (() => void) | undefined;
  /** Slots this process has given back: one given back during a claim makes the next try come at once. */
  private givenBack = 0;

  constructor(
    private readonly leases: SlotLeases,
    private readonly semaphore: string,
    private readonly size: number,
    private readonly timing: LeaseTiming = JUDGE_LEASE_TIMING,
  ) {}

  /** Never at once: only the shared line knows whether a slot is free. */
  takeNow(): undefined {
    return undefined;
  }

  async take(wanted: () => boolean): Promise<Slot | undefined> {
    const ticket = randomUUID();
    try {
      for (;;) {
        const givenBack = this.givenBack;
        if (await this.leases.claim(this.semaphore, ticket, this.size, this.timing.leaseMs)) break;
        await this.nextTry(givenBack);
        if (!wanted()) {
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
