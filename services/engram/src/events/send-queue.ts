import { Logger } from '@nestjs/common';
import { EngramMetrics } from '../metrics/engram-metrics';
import { EventDraft } from './engram-event';

/**
 * Sends a relay keeps while its store does not answer (or takes them slower than they come): about 3 MB
 * of preview-sized events, a minute of an outage at 80 events a second. Past it the oldest go, since live
 * events are best-effort and a stream told of the loss reloads; an unbounded queue grew the process's memory
 * by every event published for as long as the outage lasted.
 */
export const SEND_QUEUE_LIMIT = 5000;

/** A send waiting its turn: the draft, and the publisher's clock when it was sent (the floor of its id). */
export interface QueuedSend {
  draft: EventDraft;
  nowMicros: number;
}

/**
 * A relay's sends not yet handed to its store, oldest first, at most `limit`: past it the oldest is dropped,
 * counted (engram_events_dropped_total) and remembered by namespace until the relay stores the loss in its
 * place, before every send still queued, which tells every listening process.
 */
export class SendQueue {
  private readonly logger = new Logger('Events');
  private readonly sends: QueuedSend[] = [];
  /** Sends dropped, by namespace, until their loss is stored. */
  private readonly dropped = new Map<string, number>();
  private overflowReported = false;

  constructor(
    /** The store the sends wait for, as the warning names it. */
    private readonly store: string,
    private readonly limit: number,
    private readonly metrics?: EngramMetrics,
  ) {}

  push(send: QueuedSend): void {
    this.sends.push(send);
    if (this.sends.length > this.limit) this.dropOldest();
  }

  /** The oldest send, taken off the queue. */
  shift(): QueuedSend | undefined {
    return this.sends.shift();
  }

  /** Empties the queue (the relay is closed); answers how many sends it held. */
  clear(): number {
    return this.sends.splice(0).length;
  }

  get length(): number {
    return this.sends.length;
  }

  get hasLosses(): boolean {
    return this.dropped.size > 0;
  }

  /** The losses not yet stored, by namespace; the caller stores them or hands them back with `restoreLosses`. */
  takeLosses(): [namespace: string, count: number][] {
    const losses = [...this.dropped];
    this.dropped.clear();
    return losses;
  }

  /** Losses that could not be stored: stored again before the next send. */
  restoreLosses(losses: Iterable<[string, number]>): void {
    for (const [namespace, count] of losses) this.countDrop(namespace, count);
  }

  /** Every loss taken is stored: a later overflow is warned of again. */
  lossesStored(): void {
    if (this.dropped.size === 0) this.overflowReported = false;
  }

  private dropOldest(): void {
    const { draft } = this.sends.shift()!;
    this.countDrop(draft.namespace, 1);
    this.metrics?.eventsDropped.inc();
    if (this.overflowReported) return; // one line until the losses are stored, not one per event
    this.overflowReported = true;
    this.logger.warn({
      msg: `events dropped: too many sends wait for ${this.store}; the oldest go, and their streams are told`,
      queueLimit: this.limit,
    });
  }

  private countDrop(namespace: string, count: number): void {
    this.dropped.set(namespace, (this.dropped.get(namespace) ?? 0) + count);
  }
}
