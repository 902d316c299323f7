import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { UsageDelta, UsageStore } from '../storage/usage.store';

/** Uses are written at most this long after they happen… */
const FLUSH_INTERVAL_MS = 1_000;
/** …or as soon as this many memories have pending uses. */
const FLUSH_AT_PENDING = 1_000;

/**
 * Records retrievals and fetches without slowing reads: uses are counted in memory and written in one
 * transaction per second (or per thousand memories), never on the read's own path. A crash loses at
 * most the last second of counts, which only nudges a ranking signal; ratings are written at once.
 */
@Injectable()
export class UsageRecorder implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Usage');
  private pending = new Map<number, UsageDelta>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly usage: UsageStore) {}

  retrieved(memoryIds: readonly number[]): void {
    for (const id of memoryIds) this.add(id, 'retrievals');
  }

  fetched(memoryId: number): void {
    this.add(memoryId, 'fetches');
  }

  /** Writes what is pending now (at shutdown, and before reading signals that must include it). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    try {
      await this.usage.addUses(batch);
    } catch (error) {
      // Usage counts are a ranking hint: a busy or closing database must not fail the read that used them.
      this.logger.warn({ msg: 'usage counts not recorded', memories: batch.length, error: (error as Error).message });
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
  }

  private add(memoryId: number, kind: 'retrievals' | 'fetches'): void {
    const delta = this.pending.get(memoryId) ?? { memoryId, retrievals: 0, fetches: 0, lastUsedAt: 0 };
    delta[kind] += 1;
    delta.lastUsedAt = Date.now();
    this.pending.set(memoryId, delta);
    if (this.pending.size >= FLUSH_AT_PENDING) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_INTERVAL_MS).unref();
  }
}
