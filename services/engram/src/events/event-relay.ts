import { EngramEvent, EventDraft } from './engram-event';
import { LastSeen } from './event-cursor';
import { Replay } from './event-ring';

export type EventListener = (event: EngramEvent) => void;

/**
 * How events travel from where they are raised to every listener: in this process alone, or through
 * Redis or PostgreSQL to every process. The relay hands out the ids (each namespace's own sequence, see event-ids.ts), so
 * each namespace's ids follow the order listeners see.
 */
export interface EventRelay {
  /** Delivers the draft (now, or once the relay has ordered it) to every listener of every process. */
  send(draft: EventDraft): void;
  /**
   * Starts delivering events to `listener` (it must never throw), each once and in the order published;
   * resolves once delivery is live.
   */
  listen(listener: EventListener): void | Promise<void>;
  close(): Promise<void>;
  /**
   * The events of each namespace of `seen` after its id there that every process can replay (windows shared
   * by all replicas, one per namespace), oldest first, complete when none of theirs was lost; undefined when
   * this relay keeps none or cannot answer now, and each process replays from its own windows.
   */
  history?(seen: LastSeen): Promise<Replay | undefined>;
  /**
   * Up to `count` kept events of each of `namespaces`, older than its id in `before` when given, newest first
   * in the order published; undefined when this relay keeps none or cannot answer now.
   */
  newest?(namespaces: readonly string[], count: number, before?: LastSeen): Promise<EngramEvent[] | undefined>;
}

export const EVENT_RELAY = Symbol('EVENT_RELAY');
