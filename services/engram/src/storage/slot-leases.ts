/** A process using a semaphore, with the slots it would hand out on its own (its configured limit). */
export interface SlotMember {
  id: string;
  limit: number;
}

/** A claim's answer: whether the ticket holds a slot, and the slots the live members agree on. */
export interface SlotClaim {
  held: boolean;
  size: number;
}

/**
 * Semaphores every process of a deployment shares, held through leases that run out: each semaphore is
 * a line of tickets, oldest first, and the first `size` tickets whose lease has not run out hold its
 * slots while the others wait their turn. `size` is the smallest limit among the semaphore's live
 * members, so processes configured with different limits agree on the safest one. A process keeps its
 * tickets by claiming (waiting) or renewing (holding) within each lease, and stays a member by attending
 * within each lease; a process that stops, a replica killed mid-request, loses its tickets and its say in
 * the size once their leases run out, so its slots come back without anyone releasing them. Leases run
 * on the shared store's clock, never a replica's.
 */
export interface SlotLeases {
  /**
   * Keeps `member` live for `leaseMs` from now, its limit counted; answers the size the live members
   * agree on (the smallest of their limits, this one's included).
   */
  attend(semaphore: string, member: SlotMember, leaseMs: number): Promise<number>;
  /** Takes the member out at once (a process stopping cleanly): its limit no longer counts. */
  leave(semaphore: string, memberId: string): Promise<void>;
  /**
   * Attends as `member` and puts `ticket` at the back of `semaphore`'s line, or keeps its place, its lease
   * running `leaseMs` from now; held when it is among the first `size` in line, the size agreed at that
   * moment, in the same atomic step.
   */
  claim(semaphore: string, member: SlotMember, ticket: string, leaseMs: number): Promise<SlotClaim>;
  /** Extends a held ticket's lease by `leaseMs` from now; one that has run out stays out. */
  renew(semaphore: string, ticket: string, leaseMs: number): Promise<void>;
  /** Takes the ticket out of line, giving its slot back if it held one. */
  release(semaphore: string, ticket: string): Promise<void>;
}

/** Nest injection token: the store's own SlotLeases (in the SQLite file or the PostgreSQL database). */
export const DATABASE_SLOT_LEASES = Symbol('DATABASE_SLOT_LEASES');
