/**
 * Semaphores every process of a deployment shares, held through leases that run out: each semaphore is
 * a line of tickets, oldest first, and the first `size` tickets whose lease has not run out hold its
 * slots while the others wait their turn. A process keeps its tickets by claiming (waiting) or renewing
 * (holding) within each lease; a process that stops, a replica killed mid-request, loses its tickets
 * once their leases run out, so its slots come back without anyone releasing them. Leases run on the
 * shared store's clock, never a replica's.
 */
export interface SlotLeases {
  /**
   * Puts `ticket` at the back of `semaphore`'s line, or keeps its place, its lease running `leaseMs` from
   * now; true when it is among the first `size` in line and so holds a slot.
   */
  claim(semaphore: string, ticket: string, size: number, leaseMs: number): Promise<boolean>;
  /** Extends a held ticket's lease by `leaseMs` from now; one that has run out stays out. */
  renew(semaphore: string, ticket: string, leaseMs: number): Promise<void>;
  /** Takes the ticket out of line, giving its slot back if it held one. */
  release(semaphore: string, ticket: string): Promise<void>;
}

/** Nest injection token: the store's own SlotLeases (PostgreSQL), undefined where one process serves (SQLite). */
export const DATABASE_SLOT_LEASES = Symbol('DATABASE_SLOT_LEASES');
