import { EngramEvent, EventDraft } from './engram-event';

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
}

export const EVENT_RELAY = Symbol('EVENT_RELAY');
