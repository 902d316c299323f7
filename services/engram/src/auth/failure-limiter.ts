/** At most `limit` failures in any `windowMs`, counted per key; `name` keeps budgets apart. */
export interface FailureBudget {
  name: string;
  limit: number;
  windowMs: number;
}

/**
 * Counts failures (wrong credentials, failed sign-ins) per key — a client address, a presented key's
 * prefix — in a sliding window. A port: this process keeps the counts in memory; a shared store can
 * take its place so that replicas count together.
 */
export interface FailureLimiter {
  /** Seconds until `key` is within its budget again; 0 when it is within it now. */
  retryAfterSeconds(budget: FailureBudget, key: string): Promise<number>;
  recordFailure(budget: FailureBudget, key: string): Promise<void>;
}

/** Nest injection token for the FailureLimiter. */
export const FAILURE_LIMITER = Symbol('FAILURE_LIMITER');

/**
 * The in-process FailureLimiter. Bounded: at most `maxKeys` keys are tracked, the stalest dropped
 * first, so a flood of distinct addresses cannot grow it without limit.
 */
export class InMemoryFailureLimiter implements FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async retryAfterSeconds(budget: FailureBudget, key: string): Promise<number> {
    const now = this.now();
    const recent = this.recent(budget, key, now);
    if (recent.length < budget.limit) return 0;
    return Math.max(1, Math.ceil((recent[recent.length - budget.limit] + budget.windowMs - now) / 1000));
  }

  async recordFailure(budget: FailureBudget, key: string): Promise<void> {
    const now = this.now();
    const recent = this.recent(budget, key, now);
    recent.push(now);
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
