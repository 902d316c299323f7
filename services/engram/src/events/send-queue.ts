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

/**
 * Namespaces whose drops a queue counts apart (about 100 bytes each) before it counts one loss everywhere
 * instead: an outage long enough to drop events of more namespaces than this would otherwise grow the count by
 * every namespace that published during it.
 */
export const LOSS_NAMESPACES_LIMIT = 1000;

/** A send waiting its turn: the draft, and the publisher's clock when it was sent (the floor of its id). */
export interface QueuedSend {
  draft: EventDraft;
  nowMicros: number;
}

/**
 * A relay's sends not yet handed to its store, oldest first, at most `limit`: past it the oldest is dropped,
 * counted (engram_events_dropped_total) and remembered by namespace until the relay stores the loss in its
 * place, before every send still queued, which tells every listening process. Past `namespacesLimit`
 * namespaces it remembers only that events were lost everywhere (LostEverywhere), which replaces them all.
 */
export class SendQueue {
  private readonly logger = new Logger('Events');
  private readonly sends: QueuedSend[] = [];
  /** Sends dropped, by namespace, until their loss is stored. */
  private readonly dropped = new Map<string, number>();
  /** More namespaces lost events than `namespacesLimit`: one loss everywhere is stored instead of theirs. */
  private droppedEverywhere = false;
  private overflowReported = false;

  constructor(
    /** The store the sends wait for, as the warning names it. */
    private readonly store: string,
    private readonly limit: number,
    private readonly metrics?: EngramMetrics,
    /** A relay that stores no loss everywhere leaves it unbounded. */
    private readonly namespacesLimit = Number.POSITIVE_INFINITY,
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
    return this.dropped.size > 0 || this.droppedEverywhere;
  }

  /**
   * Whether events were lost everywhere (then there are no losses by namespace); the caller stores it or hands
   * it back with `restoreLossEverywhere`.
   */
  takeLossEverywhere(): boolean {
    const lost = this.droppedEverywhere;
    this.droppedEverywhere = false;
    return lost;
  }

  /** A loss everywhere that could not be stored, or one that replaces every count by namespace. */
  restoreLossEverywhere(): void {
    this.dropped.clear();
    this.droppedEverywhere = true;
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
    if (!this.hasLosses) this.overflowReported = false;
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
    if (this.droppedEverywhere) return;
    if (!this.dropped.has(namespace) && this.dropped.size >= this.namespacesLimit) {
      this.restoreLossEverywhere();
      return;
    }
    this.dropped.set(namespace, (this.dropped.get(namespace) ?? 0) + count);
  }
}
