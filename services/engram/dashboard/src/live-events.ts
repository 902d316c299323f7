import { ENGRAM_EVENT_TYPES, EngramEvent } from '../../src/events/engram-event';
import { EngramApi } from './api';

export type LiveState = 'connecting' | 'live' | 'offline';

export interface LiveHandlers {
  onEvent(event: EngramEvent): void;
  /** Events were missed beyond what the server keeps: views should reload. */
  onGap(): void;
  onState(state: LiveState): void;
}

/** One dispatched server-sent event: its id, name and data lines joined. */
export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

const EVENT_TYPES: ReadonlySet<string> = new Set(ENGRAM_EVENT_TYPES);
/** What the server asks for (`retry:`) until it says otherwise; a refused stream waits longer. */
const DEFAULT_RETRY_MS = 2000;
const REFUSED_RETRY_MS = 5000;

/**
 * The dashboard's live connection: the event stream read with fetch (not EventSource), so the API key
 * goes in a header and never into a URL. It resumes after the last event it saw (Last-Event-ID, as
 * EventSource would) and reconnects after a drop; a refused stream (401, 503) is retried a little later.
 */
export class LiveEvents {
  private abort: AbortController | undefined;
  private retry: number | undefined;
  private retryMs = DEFAULT_RETRY_MS;

  constructor(
    private readonly api: EngramApi,
    private readonly handlers: LiveHandlers,
    /**
     * Resume from this position (where the history the page loaded ends): opaque text, two ids joined by
     * '-' for a key bound to no namespace.
     */
    private lastEventId: string | undefined,
  ) {}

  start(): void {
    this.stop();
    const abort = new AbortController();
    this.abort = abort;
    void this.connect(abort.signal);
  }

  stop(): void {
    window.clearTimeout(this.retry);
    this.abort?.abort();
    this.abort = undefined;
  }

  private async connect(signal: AbortSignal): Promise<void> {
    this.handlers.onState('connecting');
    let wait = this.retryMs;
    try {
      const response = await this.api.openEventStream(this.lastEventId, signal);
      if (!response.ok || !response.body) {
        wait = REFUSED_RETRY_MS;
        this.handlers.onState('offline');
      } else {
        this.handlers.onState('live');
        await readServerSentEvents(response.body, (message) => this.dispatch(message), signal);
        this.handlers.onState('connecting');
      }
    } catch {
      if (signal.aborted) return;
      this.handlers.onState('offline');
    }
    if (!signal.aborted) this.retry = window.setTimeout(() => void this.connect(signal), wait);
  }

  private dispatch(message: SseMessage): void {
    if (message.event === 'retry') {
      this.retryMs = Number(message.data) || DEFAULT_RETRY_MS;
      return;
    }
    if (message.event === 'replay_incomplete') return this.handlers.onGap();
    if (!EVENT_TYPES.has(message.event)) return;
    if (message.id !== undefined) this.lastEventId = message.id;
    this.handlers.onEvent(JSON.parse(message.data) as EngramEvent);
  }
}

/**
 * Parses a text/event-stream body as the HTML standard describes (fields `id`, `event`, `data`,
 * `retry`; comments ignored; a blank line dispatches; LF or CRLF line ends, as this server sends). `retry` is passed on as an event of that name.
 */
export async function readServerSentEvents(
  body: ReadableStream<Uint8Array>,
  onMessage: (message: SseMessage) => void,
  signal: AbortSignal,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  signal.addEventListener('abort', () => void reader.cancel().catch(() => undefined), { once: true });
  let buffer = '';
  let message: { id?: string; event?: string; data: string[] } = { data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const raw of lines) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line === '') {
        if (message.data.length > 0) {
          onMessage({ id: message.id, event: message.event ?? 'message', data: message.data.join('\n') });
        }
        message = { data: [] };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') message.data.push(value);
      else if (field === 'id') message.id = value;
      else if (field === 'event') message.event = value;
      else if (field === 'retry' && /^\d+$/.test(value)) onMessage({ event: 'retry', data: value });
    }
  }
}
