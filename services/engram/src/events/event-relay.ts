import { EngramEvent, EventDraft } from './engram-event';
import { Replay } from './event-ring';

export type EventListener = (event: EngramEvent) => void;

/**
 * How events travel from where they are raised to every listener: in this process alone, or through
 * Redis to every process. The relay hands out the ids, so ids follow the order listeners see.
 */
export interface EventRelay {
  /** Delivers the draft (now, or once the relay has ordered it) to every listener of every process. */
  send(draft: EventDraft): void;
  /** Starts delivering events to `listener` (it must never throw); resolves once delivery is live. */
  listen(listener: EventListener): void | Promise<void>;
  close(): Promise<void>;
  /**
   * The events after `lastId` that every process can replay (a log shared by all replicas), oldest first;
   * undefined when this relay keeps none or cannot answer now, and each process replays from its own ring.
   */
  history?(lastId: number): Promise<Replay | undefined>;
  /**
   * Up to `count` events of the shared log, newest first, older than `beforeId` when given; undefined
   * when this relay keeps none or cannot answer now.
   */
  newest?(count: number, beforeId?: number): Promise<EngramEvent[] | undefined>;
}

export const EVENT_RELAY = Symbol('EVENT_RELAY');
