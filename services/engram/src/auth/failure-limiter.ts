import { createHash } from 'node:crypto';

/** At most `limit` failures in any `windowMs`, counted per key; `name` keeps budgets apart. */
export interface FailureBudget {
  name: string;
  limit: number;
  windowMs: number;
}

/** One budget and the key (a client address, a key prefix, everyone's) it is counted under. */
export interface BudgetPlace {
  budget: FailureBudget;
  key: string;
}

/** What `reserve` answers: places taken in every budget asked for, or in none of them. */
export interface Reservation {
  /** 0 when the places are taken; else the seconds until every budget has room again (nothing was taken). */
  retryAfterSeconds: number;
  /** Gives the places back, for an attempt that did not fail after all; does nothing when none were taken. */
  release(): Promise<void>;
}

/**
 * Counts failures (wrong credentials, failed sign-ins) and attempts (metadata documents fetched) per key
 * — a client address, a presented key's prefix — in a sliding window. A port: this process keeps the
 * counts in memory; a shared store can take its place so that replicas count together.
 */
export interface FailureLimiter {
  /** Seconds until `key` is within its budget again; 0 when it is within it now. */
  retryAfterSeconds(budget: FailureBudget, key: string): Promise<number>;
  /** Counts a failure that has happened, whether or not its budget was spent (the caller answers after). */
  recordFailure(budget: FailureBudget, key: string): Promise<void>;
  /**
   * Takes a place in each budget for its key if every one has room, in one step: however many callers
   * on however many replicas ask at once, a budget never gives out more than its limit. For attempts
   * that must be refused before they are made (a fetch, a password compared).
   */
  reserve(places: readonly BudgetPlace[]): Promise<Reservation>;
}

/** Nest injection token for the FailureLimiter. */
export const FAILURE_LIMITER = Symbol('FAILURE_LIMITER');
/** Nest injection token: the store's own FailureLimiter (in the SQLite file or the PostgreSQL database). */
export const DATABASE_FAILURE_LIMITER = Symbol('DATABASE_FAILURE_LIMITER');

/** A reservation with nothing to give back: refused (the seconds to wait), or one that needed no place (0). */
export function emptyReservation(retryAfterSeconds: number): Reservation {
  return { retryAfterSeconds, release: async () => undefined };
}

/** Keys are attacker-chosen text: a shared store keeps each as a digest of one short, fixed shape. */
export function keyDigest(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}

/** Milliseconds until an entry leaves the window, as whole seconds a client is told to wait (at least 1). */
export function waitInSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * The in-process FailureLimiter. Bounded: at most `maxKeys` keys are tracked, the stalest dropped
 * first, so a flood of distinct addresses cannot grow it without limit. Each method runs without
 * awaiting, so a reservation's check and take are one step.
 */
export class InMemoryFailureLimiter implements FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async retryAfterSeconds(budget: FailureBudget, key: string): Promise<number> {
    const waitMs = this.waitMs(budget, key, this.now());
    return waitMs === 0 ? 0 : waitInSeconds(waitMs);
  }

  async recordFailure(budget: FailureBudget, key: string): Promise<void> {
    this.add(budget, key, this.now());
  }

  async reserve(places: readonly BudgetPlace[]): Promise<Reservation> {
    const now = this.now();
    const waitMs = Math.max(0, ...places.map(({ budget, key }) => this.waitMs(budget, key, now)));
    if (waitMs > 0) return emptyReservation(waitInSeconds(waitMs));
    for (const { budget, key } of places) this.add(budget, key, now);
    return {
      retryAfterSeconds: 0,
      release: async () => places.forEach(({ budget, key }) => this.remove(budget, key, now)),
    };
  }

  /** The times counted for `key` still in its window, oldest first: at most the budget's limit of them. */
  countedTimes(budget: FailureBudget, key: string): readonly number[] {
    return [...this.recent(budget, key, this.now())];
  }

  /** 0 while `key` has room in its budget; else the milliseconds until its oldest counted entry leaves. */
  private waitMs(budget: FailureBudget, key: string, now: number): number {
    const recent = this.recent(budget, key, now);
    if (recent.length < budget.limit) return 0;
    return Math.max(1, recent[recent.length - budget.limit] + budget.windowMs - now);
  }

  private add(budget: FailureBudget, key: string, at: number): void {
    const recent = this.recent(budget, key, at);
    recent.push(at);
    // Keep no more than the budget needs to answer, so one key's flood costs constant memory.
    if (recent.length > budget.limit) recent.splice(0, recent.length - budget.limit);
    const id = idOf(budget, key);
    this.failures.delete(id);
    this.failures.set(id, recent);
    if (this.failures.size > this.maxKeys) {
      const [stalest] = this.failures.keys();
      this.failures.delete(stalest);
    }
  }

  // Entries of one time are alike, so giving back any of them gives back the place taken then.
  private remove(budget: FailureBudget, key: string, at: number): void {
    const recent = this.failures.get(idOf(budget, key));
    const index = recent?.lastIndexOf(at) ?? -1;
    if (index >= 0) recent!.splice(index, 1);
  }

  private recent(budget: FailureBudget, key: string, now: number): number[] {
    const id = idOf(budget, key);
    const kept = (this.failures.get(id) ?? []).filter((at) => now - at < budget.windowMs);
    if (kept.length === 0) this.failures.delete(id);
    else this.failures.set(id, kept);
    return kept;
  }
}

function idOf(budget: FailureBudget, key: string): string {
  return `${budget.name}\u0000${key}`;
}
