import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { DomainError } from '../common/domain-errors';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { EngramMetrics } from '../metrics/engram-metrics';
import { EngramEvent } from './engram-event';
import { EventBus } from './event-bus';
import { EventFilter, matchesFilter } from './event-filter';
import { EventRing } from './event-ring';
import { CloseReason, SseConnection } from './sse-connection';
import { eventFrames, FrameStyle, HEARTBEAT_FRAME, noticeFrames, OPENING_FRAME } from './sse-frames';

/** How long start-up waits for the Redis subscription before serving without it. */
const SUBSCRIBE_WAIT_MS = 5000;

type FramesOf = (style: FrameStyle) => string;

/** An event's frames, serialised once per style however many streams receive it. */
function framesOnce(event: EngramEvent): FramesOf {
  const cache = new Map<FrameStyle, string>();
  return (style) => {
    let frames = cache.get(style);
    if (frames === undefined) cache.set(style, (frames = eventFrames(event, style)));
    return frames;
  };
}

export class TooManyStreams extends DomainError {
  readonly status = 503;
  readonly code = 'too_many_streams';
}

/** What a client asked for when it opened its stream. */
export interface StreamRequest {
  requestId: string;
  filter: EventFilter;
  frames: FrameStyle;
  /** Replay the kept events after this id first (Last-Event-ID). */
  lastEventId?: number;
}

interface Subscriber {
  request: StreamRequest;
  connection: SseConnection;
}

/**
 * The SSE side of the bus in this api process: keeps the newest events for replay and writes each event
 * once to every open stream whose filter admits it, in id order.
 */
@Injectable()
export class EventStreamService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Events');
  private readonly ring: EventRing;
  private readonly subscribers = new Set<Subscriber>();
  private lastDeliveredId = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly metrics: EngramMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.ring = new EventRing(config.events.ringSize);
  }

  async onModuleInit(): Promise<void> {
    this.unsubscribe = this.bus.subscribe((event) => this.broadcast(event));
    const subscribed = await Promise.race([
      this.bus.ready().then(() => true),
      delay(SUBSCRIBE_WAIT_MS, false, { ref: false }),
    ]);
    if (!subscribed) {
      // Redis is down: serve anyway; events from other processes flow once it answers.
      this.logger.warn({ msg: "event streams start without Redis; other processes' events arrive once it answers" });
    }
    this.heartbeat = setInterval(() => this.beat(), this.config.events.sseHeartbeatSeconds * 1000);
    this.heartbeat.unref();
  }

  /** Ends every stream so the server can close; clients reconnect elsewhere (or later) and replay. */
  onModuleDestroy(): void {
    clearInterval(this.heartbeat);
    this.unsubscribe?.();
    for (const { connection } of [...this.subscribers]) connection.end();
  }

  /** Refuses a stream beyond ENGRAM_SSE_MAX_CLIENTS, before anything is written to the response. */
  admit(): void {
    const max = this.config.events.sseMaxClients;
    if (this.subscribers.size >= max) {
      throw new TooManyStreams(`This server already serves ${max} event streams (ENGRAM_SSE_MAX_CLIENTS)`);
    }
  }

  /** Follows `response` (headers already sent): the missed events first, then every new one. */
  open(response: ServerResponse, request: StreamRequest): void {
    const subscriber: Subscriber = {
      request,
      connection: new SseConnection(response, this.config.events.sseClientBufferBytes, (reason) =>
        this.detach(subscriber, reason),
      ),
    };
    this.subscribers.add(subscriber);
    this.metrics.sseClients.set(this.subscribers.size);
    subscriber.connection.write(OPENING_FRAME);
    if (request.lastEventId !== undefined) this.replay(subscriber, request.lastEventId);
  }

  /**
   * The kept events a stream with `filter` would be sent, newest first (at most `limit`), and the id to
   * resume a stream from so that nothing between this answer and the stream is missed.
   */
  recent(filter: EventFilter, limit: number): { events: EngramEvent[]; resumeFrom: number } {
    const { events } = this.ring.after(0);
    const admitted: EngramEvent[] = [];
    for (let i = events.length - 1; i >= 0 && admitted.length < limit; i--) {
      if (matchesFilter(events[i], filter)) admitted.push(events[i]);
    }
    return { events: admitted, resumeFrom: this.lastDeliveredId };
  }

  get openStreams(): number {
    return this.subscribers.size;
  }

  private broadcast(event: EngramEvent): void {
    if (event.id <= this.lastDeliveredId) return; // each event once, in order, whatever the relay does
    this.lastDeliveredId = event.id;
    this.ring.add(event);
    const frames = framesOnce(event);
    for (const subscriber of this.subscribers) this.deliver(subscriber, event, frames);
  }

  private replay(subscriber: Subscriber, lastEventId: number): void {
    const { events, complete } = this.ring.after(lastEventId);
    if (!complete) {
      const notice = { last_event_id: lastEventId, oldest_kept_id: events[0]?.id ?? null };
      subscriber.connection.write(noticeFrames('replay_incomplete', notice, subscriber.request.frames));
    }
    for (const event of events) this.deliver(subscriber, event, framesOnce(event));
  }

  private deliver({ request, connection }: Subscriber, event: EngramEvent, frames: FramesOf): void {
    if (matchesFilter(event, request.filter)) connection.write(frames(request.frames));
  }

  private beat(): void {
    for (const { connection } of this.subscribers) connection.write(HEARTBEAT_FRAME);
  }

  private detach(subscriber: Subscriber, reason: CloseReason): void {
    this.subscribers.delete(subscriber);
    this.metrics.sseClients.set(this.subscribers.size);
    if (reason === 'slow_client') {
      this.logger.warn({
        msg: 'event stream dropped: the client left too much unread',
        reqId: subscriber.request.requestId,
        limitBytes: this.config.events.sseClientBufferBytes,
      });
    }
  }
}
