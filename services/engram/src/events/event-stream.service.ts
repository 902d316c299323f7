import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { DomainError } from '../common/domain-errors';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { EngramMetrics } from '../metrics/engram-metrics';
import { EngramEvent, keptForReplay } from './engram-event';
import { EventBus } from './event-bus';
import { LastSeen, seenUpTo, StreamCursor } from './event-cursor';
import { EventFilter, matchesFilter, replayedNamespaces } from './event-filter';
import { Loss } from './event-relay';
import { Replay } from './event-ring';
import { replayBounds, ReplayWindows } from './replay-windows';
import { CloseReason, SseConnection } from './sse-connection';
import { eventFrames, FrameStyle, HEARTBEAT_FRAME, noticeFrames, OPENING_FRAME } from './sse-frames';
import { StreamTally } from './stream-tally';
import { counted } from '../common/counted';

/** Events read from the shared windows per round trip for the recent-events history. */
const RECENT_PAGE = 200;

/** How long start-up waits for the Redis subscription before serving without it. */
const SUBSCRIBE_WAIT_MS = 5000;

type FramesOf = (style: FrameStyle, streamId: string) => string;

/** An event's frames, serialised once per style and stream position however many streams receive it. */
function framesOnce(event: EngramEvent): FramesOf {
  const cache = new Map<string, string>();
  return (style, streamId) => {
    const key = `${style} ${streamId}`;
    let frames = cache.get(key);
    if (frames === undefined) cache.set(key, (frames = eventFrames(event, style, streamId)));
    return frames;
  };
}

export class TooManyStreams extends DomainError {
  readonly status = 503;
  readonly code = 'too_many_streams';
}

/** One credential, or one namespace's credentials together, hold their share of streams already. */
export class TooManyStreamsForCaller extends DomainError {
  readonly status = 429;
  readonly code = 'too_many_streams';
}

/** What a client asked for when it opened its stream. */
export interface StreamRequest {
  requestId: string;
  /** Whose stream it is (principal kind and id): streams are capped per credential too. */
  owner: string;
  /**
   * The namespace its credential is bound to: a tenant's streams are capped together, however many keys
   * it holds. Unbound credentials (the operator's, which may pick any namespace) count only as themselves.
   */
  boundNamespace?: string;
  filter: EventFilter;
  frames: FrameStyle;
  /** Replay the kept events after this position first (Last-Event-ID, parsed: see StreamCursor). */
  lastEventId?: number[];
}

interface Subscriber {
  request: StreamRequest;
  connection: SseConnection;
  /** Live events held back while the stream's replay is read from the shared windows. */
  held?: EngramEvent[];
  /** Events of its namespaces were lost while its replay was read: the replay is then incomplete. */
  lostWhileHeld?: boolean;
  /**
   * The newest id this stream was sent or skipped in each namespace it reads: pub/sub can deliver live an
   * event that the replay from the shared windows already sent (it lags them), and the stream must not send
   * it twice. Its text is the stream's `id:` line.
   */
  cursor: StreamCursor;
}

/**
 * The SSE side of the bus in this api process: keeps each namespace's newest events for replay and writes
 * each event once to every open stream whose filter admits it, in id order.
 */
@Injectable()
export class EventStreamService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Events');
  private readonly windows: ReplayWindows;
  private readonly subscribers = new Set<Subscriber>();
  private readonly streamsPerOwner = new StreamTally();
  private readonly streamsPerNamespace = new StreamTally();
  private heartbeat: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly metrics: EngramMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.windows = new ReplayWindows(replayBounds(config));
  }

  async onModuleInit(): Promise<void> {
    this.unsubscribe = this.bus.subscribe(
      (event) => this.broadcast(event),
      (lost) => this.tellLoss(lost),
    );
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

  /**
   * Refuses a stream beyond ENGRAM_SSE_MAX_CLIENTS_PER_CREDENTIAL for its owner or
   * ENGRAM_SSE_MAX_CLIENTS_PER_NAMESPACE for its bound namespace (429), or ENGRAM_SSE_MAX_CLIENTS in all
   * (503), before anything is written to the response. Each message tells the caller its own share only.
   */
  admit({ owner, boundNamespace }: Pick<StreamRequest, 'owner' | 'boundNamespace'>): void {
    const { sseMaxClients, sseMaxClientsPerCredential, sseMaxClientsPerNamespace } = this.config.events;
    if (this.streamsPerOwner.of(owner) >= sseMaxClientsPerCredential) {
      throw new TooManyStreamsForCaller(
        `This credential already holds ${counted(sseMaxClientsPerCredential, 'event stream', 'event streams')} (ENGRAM_SSE_MAX_CLIENTS_PER_CREDENTIAL); close one first`,
      );
    }
    if (boundNamespace !== undefined && this.streamsPerNamespace.of(boundNamespace) >= sseMaxClientsPerNamespace) {
      throw new TooManyStreamsForCaller(
        `The keys of this namespace already hold ${counted(sseMaxClientsPerNamespace, 'event stream', 'event streams')} (ENGRAM_SSE_MAX_CLIENTS_PER_NAMESPACE); close one first`,
      );
    }
    if (this.subscribers.size >= sseMaxClients) {
      throw new TooManyStreams(
        `This server already serves ${counted(sseMaxClients, 'event stream', 'event streams')} (ENGRAM_SSE_MAX_CLIENTS)`,
      );
    }
  }

  /**
   * Follows `response` (headers already sent): the missed events first, then every new one. Answers how
   * to end it early with a last notice (its credential was refused).
   */
  open(response: ServerResponse, request: StreamRequest): (notice: string) => void {
    const namespaces = replayedNamespaces(request.filter);
    // A new stream stands after what this process has seen of its namespaces: a client that goes away
    // before an event of one of them arrives resumes there, not from before the stream opened.
    const seenHere = namespaces.map((namespace) => this.windows.newestId(namespace));
    const subscriber: Subscriber = {
      request,
      cursor: new StreamCursor(namespaces, request.lastEventId ?? seenHere),
      connection: new SseConnection(response, this.config.events.sseClientBufferBytes, (reason) =>
        this.detach(subscriber, reason),
      ),
    };
    this.subscribers.add(subscriber);
    this.streamsPerOwner.add(request.owner);
    if (request.boundNamespace !== undefined) this.streamsPerNamespace.add(request.boundNamespace);
    this.metrics.sseClients.set(this.subscribers.size);
    subscriber.connection.write(OPENING_FRAME);
    if (request.lastEventId !== undefined) {
      const resumedFrom = new StreamCursor(namespaces, request.lastEventId);
      if (this.bus.sharesHistory) void this.replayShared(subscriber, resumedFrom);
      else this.replay(subscriber, this.windows.after(resumedFrom.lastSeen), resumedFrom);
    }
    return (notice) => subscriber.connection.end('credential_refused', notice);
  }

  /**
   * The kept events a stream with `filter` would be sent, newest first in the order they were published (at
   * most `limit`), and where to resume a stream from so that nothing between this answer and the stream is
   * missed: the newest id of each of its own namespaces, never another namespace's.
   */
  async recent(filter: EventFilter, limit: number): Promise<{ events: EngramEvent[]; resumeFrom: StreamCursor }> {
    return (await this.recentShared(filter, limit)) ?? this.recentKept(filter, limit);
  }

  /**
   * From the windows every replica shares (Redis), so each replica shows the same history, also one
   * started after the events: pages back from the newest until `limit` events pass the filter or the
   * windows are read. Undefined without shared windows or an answer from them.
   */
  private async recentShared(filter: EventFilter, limit: number) {
    if (!this.bus.sharesHistory) return undefined;
    const namespaces = replayedNamespaces(filter);
    const admitted: EngramEvent[] = [];
    let resumeFrom: StreamCursor | undefined;
    let before: LastSeen | undefined;
    for (let read = 0; read < this.config.events.ringSize * namespaces.length && admitted.length < limit;) {
      const answer = await this.bus.newest(namespaces, RECENT_PAGE, before);
      if (answer === undefined) return undefined;
      // The answer covers the windows up to their newest entries: a stream resuming there misses nothing after.
      resumeFrom ??= newestOfEach(namespaces, answer);
      const page = answer.slice(0, RECENT_PAGE);
      for (const event of page) if (admitted.length < limit && matchesFilter(event, filter)) admitted.push(event);
      if (page.length < RECENT_PAGE) break;
      read += page.length;
      before = oldestOfEach(page, before);
    }
    return { events: admitted, resumeFrom: resumeFrom ?? new StreamCursor(namespaces) };
  }

  private recentKept(filter: EventFilter, limit: number): { events: EngramEvent[]; resumeFrom: StreamCursor } {
    const namespaces = replayedNamespaces(filter);
    const { events } = this.windows.after(seenUpTo(0, namespaces));
    const admitted: EngramEvent[] = [];
    for (let i = events.length - 1; i >= 0 && admitted.length < limit; i--) {
      if (matchesFilter(events[i], filter)) admitted.push(events[i]);
    }
    const newest = namespaces.map((namespace) => this.windows.newestId(namespace));
    return { events: admitted, resumeFrom: new StreamCursor(namespaces, newest) };
  }

  get openStreams(): number {
    return this.subscribers.size;
  }

  /** The relay delivers each event once, in the order published (EventRelay.listen). */
  private broadcast(event: EngramEvent): void {
    if (keptForReplay(event.type)) this.windows.add(event);
    const frames = framesOnce(event);
    for (const subscriber of this.subscribers) this.deliver(subscriber, event, frames);
  }

  /**
   * Events were dropped unpublished (see LostEvents): every stream reading their namespace is told where,
   * as a replay missing events is told, with `replay_incomplete` (nothing replayed: `oldest_kept_id` null),
   * and so is a replay from before it. A loss everywhere (LostEverywhere) is told to every stream, where it
   * stands: it names no namespace, so no stream learns of another's.
   */
  private tellLoss(lost: Loss): void {
    if (!lost.everywhere) this.windows.markLost(lost.namespace, lost.id);
    for (const subscriber of this.subscribers) {
      const { connection, cursor, held, request } = subscriber;
      if (held) {
        subscriber.lostWhileHeld ||= lost.everywhere || cursor.lastSeen.has(lost.namespace);
        continue;
      }
      const lastEventId = cursor.value;
      if (!lost.everywhere && !cursor.advance(lost)) continue;
      const notice = { last_event_id: lastEventId, oldest_kept_id: null };
      connection.write(noticeFrames('replay_incomplete', notice, request.frames));
    }
  }

  /**
   * Replays from the windows every replica shares, so a client that reconnects to another replica gets
   * what it missed there too. Live events arriving meanwhile are held and follow the replay, each once, in
   * order. Without an answer from the shared windows (undefined), this process's windows serve as they do
   * without them.
   */
  private async replayShared(subscriber: Subscriber, resumedFrom: StreamCursor): Promise<void> {
    subscriber.held = [];
    const shared = await this.bus.history(resumedFrom.lastSeen);
    if (!this.subscribers.has(subscriber)) return;
    const replay = shared ?? this.windows.after(resumedFrom.lastSeen);
    const held = subscriber.held;
    subscriber.held = undefined;
    const complete = replay.complete && !subscriber.lostWhileHeld;
    this.replay(subscriber, { events: [...replay.events, ...held], complete }, resumedFrom);
  }

  private replay(subscriber: Subscriber, { events, complete }: Replay, resumedFrom: StreamCursor): void {
    if (!complete) {
      const notice = { last_event_id: resumedFrom.value, oldest_kept_id: events[0]?.id ?? null };
      subscriber.connection.write(noticeFrames('replay_incomplete', notice, subscriber.request.frames));
    }
    for (const event of events) this.deliver(subscriber, event, framesOnce(event));
  }

  private deliver(subscriber: Subscriber, event: EngramEvent, frames: FramesOf): void {
    const { request, connection, held, cursor } = subscriber;
    if (held) {
      held.push(event);
      return;
    }
    if (!cursor.advance(event)) return;
    if (matchesFilter(event, request.filter)) connection.write(frames(request.frames, cursor.toString()));
  }

  private beat(): void {
    for (const { connection } of this.subscribers) connection.write(HEARTBEAT_FRAME);
  }

  private detach(subscriber: Subscriber, reason: CloseReason): void {
    if (!this.subscribers.delete(subscriber)) return;
    const { owner, boundNamespace } = subscriber.request;
    this.streamsPerOwner.remove(owner);
    if (boundNamespace !== undefined) this.streamsPerNamespace.remove(boundNamespace);
    this.metrics.sseClients.set(this.subscribers.size);
    if (reason === 'slow_client') {
      this.metrics.sseClientsDropped.inc();
      this.logger.warn({
        msg: 'event stream dropped: the client left too much unread',
        reqId: subscriber.request.requestId,
        limitBytes: this.config.events.sseClientBufferBytes,
      });
    }
  }
}

/**
 * Where the next page of the recent events ends in each namespace: its oldest event in `page` (newest first),
 * or where the last page ended when `page` has none of it. Per namespace, because their ids are independent.
 */
function oldestOfEach(page: readonly EngramEvent[], before: LastSeen = new Map()): LastSeen {
  const oldest = new Map(before);
  for (const event of page) oldest.set(event.namespace, event.id);
  return oldest;
}

/** Where a stream of `namespaces` resumes after `page` (newest first, up to a page of each namespace). */
function newestOfEach(namespaces: readonly string[], page: readonly EngramEvent[]): StreamCursor {
  const newest = namespaces.map((namespace) => page.find((event) => event.namespace === namespace)?.id ?? 0);
  return new StreamCursor(namespaces, newest);
}
