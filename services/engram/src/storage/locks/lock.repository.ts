/** `shared` holders coexist; an `exclusive` holder excludes every other holder of the same lock. */
export type LockMode = 'shared' | 'exclusive';

/** A lock this process holds until `release` (idempotent). */
export interface HeldLock {
  release(): Promise<void>;
}

/**
 * Named locks that hold across every process of one deployment: api replicas, workers, operator
 * commands and `engram mcp` over stdio. A lock dies with its holder, so a crashed process never leaves
 * one behind. Adapters decide the mechanism (SQLite file locks here; PostgreSQL advisory locks and
 * Redis come with those backends); waiting, fairness and which work takes which lock live above, in
 * StoreLocks.
 */
export interface LockRepository {
  /** Takes the lock at once, or answers undefined when a conflicting holder has it. Never waits. */
  tryAcquire(name: string, mode: LockMode): Promise<HeldLock | undefined>;
  /**
   * Removes what a lock leaves behind (SQLite's lock file), for a lock named once and never taken again
   * once its holder is gone, such as a process's own. Called while holding it exclusive.
   */
  forget(name: string): Promise<void>;
}
