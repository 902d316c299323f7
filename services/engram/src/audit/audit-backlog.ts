import { isStoreBusy } from '../process/plain-failure';
import { NewAuditEvent } from './audit-event';

/** The first wait before writing again, doubled each time the store still refuses, up to the longest. */
const FIRST_RETRY_MS = 1_000;
const LONGEST_RETRY_MS = 30_000;
/** Entries kept for a busy store; past this a new one is reported as not stored. */
const MAX_PENDING = 1_000;
/** How long a stopping process keeps trying, and how often. */
const FLUSH_MS = 5_000;
const FLUSH_POLL_MS = 200;

export interface AuditBacklogOptions {
  /** Writes one entry; rejects as it fails (a busy store is kept and tried again). */
  write(event: NewAuditEvent): Promise<void>;
  /** Entries that will never be stored: the store refused them otherwise, or stayed busy until the end. */
  lost(events: readonly NewAuditEvent[], reason: string): void;
  flushMs?: number;
}

/** An entry waiting for the store, and the action waiting for it to be stored. */
interface PendingEntry {
  event: NewAuditEvent;
  /** What the action answers if the entry is never stored: the store's own refusal. */
  refusal: Error;
  stored(): void;
  lost(error: Error): void;
}

/**
 * Audit entries the store refused because it was busy (a restore's swap, a reindex switch, another writer
 * holding SQLite past busy_timeout, a PostgreSQL lock or statement timeout), written again once it
 * allows, oldest first, with the time the action happened: the action did happen, and the log must say
 * so. They are held in memory only, so the action waits for its entry (add resolves once it is stored)
 * and never answers success for an entry a crash could still take. A stopping process (an operator
 * command whose job met that busy store, exiting 75) keeps trying for a few seconds, as the holder is
 * usually about done; only what the store still refuses then is lost, said to be, and its action fails.
 */
export class AuditBacklog {
  private readonly pending: PendingEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private retryMs = FIRST_RETRY_MS;
  private draining: Promise<boolean> | undefined;
  private stopping = false;

  constructor(private readonly options: AuditBacklogOptions) {}

  /**
   * Keeps `event`, which the store refused with `refusal`, for a later write. Resolves once it is
   * stored; rejects (with `refusal`, or the store's later error) once it never will be: the backlog is
   * full or flushed, or the store refused it for another reason.
   */
  add(event: NewAuditEvent, refusal: Error): Promise<void> {
    if (this.stopping || this.pending.length >= MAX_PENDING) {
      this.options.lost([event], refusal.message);
      return Promise.reject(refusal);
    }
    return new Promise((stored, lost) => {
      this.pending.push({ event, refusal, stored, lost });
      this.schedule();
    });
  }

  /** Tries until every entry is stored or the flush time is up; reports what is left as lost. */
  async flush(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const deadline = Date.now() + (this.options.flushMs ?? FLUSH_MS);
    while (!(await this.drain()) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, FLUSH_POLL_MS));
    }
    if (this.pending.length === 0) return;
    const left = this.pending.splice(0);
    this.options.lost(
      left.map((entry) => entry.event),
      'the store stayed busy until this process stopped',
    );
    for (const entry of left) entry.lost(entry.refusal);
  }

  private schedule(): void {
    if (this.timer || this.stopping) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.drain().then((done) => {
        this.retryMs = done ? FIRST_RETRY_MS : Math.min(this.retryMs * 2, LONGEST_RETRY_MS);
        if (!done) this.schedule();
      });
    }, this.retryMs);
    // Not unref'd: an action waits for its entry, and a command must not exit before it is stored.
  }

  /** Writes the pending entries, oldest first, until the store refuses one as busy; true once none is left. */
  private drain(): Promise<boolean> {
    this.draining ??= this.writePending().finally(() => (this.draining = undefined));
    return this.draining;
  }

  private async writePending(): Promise<boolean> {
    while (this.pending.length > 0) {
      const entry = this.pending[0];
      try {
        await this.options.write(entry.event);
        entry.stored();
      } catch (error) {
        if (isStoreBusy(error)) return false;
        this.options.lost([entry.event], (error as Error).message);
        entry.lost(error as Error);
      }
      this.pending.shift();
    }
    return true;
  }
}
