import { ENGRAM_EVENT_TYPES, EngramEvent } from '../../src/events/engram-event';

export type LiveState = 'connecting' | 'live' | 'offline';

export interface LiveHandlers {
  onEvent(event: EngramEvent): void;
  /** Events were missed beyond what the server keeps: views should reload. */
  onGap(): void;
  onState(state: LiveState): void;
}

/**
 * The dashboard's one EventSource. The browser reconnects on its own (sending Last-Event-ID, so nothing
 * is missed); a refused stream (401, 503) closes it, and we try again a little later.
 */
export class LiveEvents {
  private source: EventSource | undefined;
  private retry: number | undefined;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly handlers: LiveHandlers,
  ) {}

  start(): void {
    this.stopped = false;
    this.handlers.onState('connecting');
    const source = new EventSource(this.url);
    this.source = source;
    source.onopen = () => this.handlers.onState('live');
    source.onerror = () => {
      if (source.readyState !== EventSource.CLOSED) return this.handlers.onState('connecting');
      this.handlers.onState('offline');
      if (!this.stopped) this.retry = window.setTimeout(() => this.start(), 5000);
    };
    for (const type of ENGRAM_EVENT_TYPES) {
      source.addEventListener(type, (message) => this.handlers.onEvent(JSON.parse((message as MessageEvent).data)));
    }
    source.addEventListener('replay_incomplete', () => this.handlers.onGap());
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.retry);
    this.source?.close();
  }
}
