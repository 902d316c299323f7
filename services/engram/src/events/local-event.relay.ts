import { EngramEvent, EventDraft } from './engram-event';
import { NamespaceSequences } from './event-ids';
import { EventListener, EventRelay } from './event-relay';

/** The embedded mode (no REDIS_URL): ids from this process, delivery synchronous, nothing leaves it. */
export class LocalEventRelay implements EventRelay {
  private readonly sequences = new NamespaceSequences();
  private listener: EventListener | undefined;

  send(draft: EventDraft): void {
    const event: EngramEvent = { id: this.sequences.next(draft.namespace), ...draft };
    this.listener?.(event);
  }

  listen(listener: EventListener): void {
    this.listener = listener;
  }

  async close(): Promise<void> {
    this.listener = undefined;
  }
}
