import { EngramEvent, EventDraft } from './engram-event';
import { LastSeen } from './event-cursor';
import { Replay } from './event-ring';

export type EventListener = (event: EngramEvent) => void;

/**
 * Events of `namespace` a relay dropped before they were published (its queue of sends overflowed while
 * its store was unreachable): `count` of them, told at `id`, an id of that namespace's sequence handed out
 * in their stead, after every event published before them and before every one after.
 */
export interface LostEvents {
  namespace: string;
  id: number;
  count: number;
  everywhere?: undefined;
}

/**
 * Events of any namespace may have been lost here: a relay dropped more than it could account for by
 * namespace (too many namespaces lost events in one outage, or more notifications came while it read the table
 * than it holds, and the table no longer had them). Every subscriber of every namespace is told; it names no
 * namespace and counts nothing, so it tells no tenant of another's activity.
 */
export interface LostEverywhere {
  everywhere: true;
  namespace?: undefined;
}

export const LOST_EVERYWHERE: LostEverywhere = { everywhere: true };

/** Where events were dropped unpublished: in one namespace, or in any. */
export type Loss = LostEvents | LostEverywhere;

export type LossListener = (lost: Loss) => void;

/**
 * How events travel from where they are raised to every listener: in this process alone, or through
 * Redis or PostgreSQL to every process. The relay hands out the ids (each namespace's own sequence, see event-ids.ts), so
 * each namespace's ids follow the order listeners see.
 */
export interface EventRelay {
  /** Delivers the draft (now, or once the relay has ordered it) to every listener of every process. */
  send(draft: EventDraft): void;
  /**
   * Starts delivering events to `listener` (it must never throw), each once and in the order published, and
   * to `onLost` where events were dropped unpublished (a relay that never drops one never calls it);
   * resolves once delivery is live.
   */
  listen(listener: EventListener, onLost?: LossListener): void | Promise<void>;
  close(): Promise<void>;
  /**
   * The events of each namespace of `seen` after its id there that every process can replay (windows shared
   * by all replicas, one per namespace), oldest first, complete when none of theirs was lost; undefined when
   * this relay keeps none or cannot answer now, and each process replays from its own windows (a relay that
   * cannot vouch for those answers an empty, incomplete replay instead: the Redis relay while Redis is away).
   */
  history?(seen: LastSeen): Promise<Replay | undefined>;
  /**
   * Up to `count` kept events of each of `namespaces`, older than its id in `before` when given, newest first
   * in the order published; undefined when this relay keeps none or cannot answer now.
   */
  newest?(namespaces: readonly string[], count: number, before?: LastSeen): Promise<EngramEvent[] | undefined>;
}

export const EVENT_RELAY = Symbol('EVENT_RELAY');
