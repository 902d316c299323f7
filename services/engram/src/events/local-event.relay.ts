import { EngramEvent, EventDraft } from './engram-event';
import { nextEventId } from './event-ids';
import { EventListener, EventRelay } from './event-relay';

/** The embedded mode (no REDIS_URL): ids from this process, delivery synchronous, nothing leaves it. */
export class LocalEventRelay implements EventRelay {
  private lastId = 0;
  private listener: EventListener | undefined;

  send(draft: EventDraft): void {
    this.lastId = nextEventId(this.lastId);
    const event: EngramEvent = { id: this.lastId, ...draft };
    this.listener?.(event);
  }

  listen(listener: EventListener): void {
    this.listener = listener;
  }

  async close(): Promise<void> {
    this.listener = undefined;
  }
}
