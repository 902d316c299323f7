import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis, RedisOptions, ReplyError } from 'ioredis';
import { RedisKeys } from '../config/redis-keys';
import { EngramEvent, EventDraft, keptForReplay } from './engram-event';
import { LastSeen } from './event-cursor';
import { EventListener, EventRelay, LossListener } from './event-relay';
import { Replay } from './event-ring';
import { readSharedWindows, HISTORY_WAIT_MS } from './shared-windows-read';
import { LogEntry, lossDraft, parseLogEntry, parseLogMessage, parsePublished, Published } from './published-event';
import { droppedRemembered, mergeReplays, ReplayBounds, SMALLEST_WINDOW } from './replay-windows';
import { QueuedSend, SEND_QUEUE_LIMIT, SendQueue } from './send-queue';
import { PublishLedger } from './publish-ledger';
import { EngramMetrics } from '../metrics/engram-metrics';

/**
 * Hands out the event's id in its namespace (the rule of event-ids.ts: max(last + 1, now in µs) over that
 * namespace's own sequence, and past every event of it kept or dropped) and its place in the deployment's
 * publish order (the same rule over every event, never shown to clients: by it a process cut off from
 * pub/sub finds what it missed), appends the event to its namespace's capped replay window and publishes
 * it, in one atomic step, so the order of ids is the order every subscriber receives and every window holds.
 * A namespace's last id expires once every replica's clock has passed it (by ARGV[10] ms): it no longer holds
 * back the next id then, so Redis keeps one only for the namespaces active lately. Past the total the
 * windows may keep, those of the namespaces idle longest are dropped whole and remembered with the newest id
 * they held (the oldest records forgotten past ARGV[8], the newest forgotten id kept). `%.0f` keeps the
 * 16-digit numbers exact (Lua's tostring would switch to exponent notation). The windows dropped are named
 * from ARGV[7]: they share the deployment's prefix, so a `{tag}` in it keeps them in the script's cluster
 * slot. KEYS[1] publish order, KEYS[2] this namespace's window, KEYS[3] windows by activity (scored by
 * place), KEYS[4] events kept, KEYS[5] dropped windows, KEYS[6] newest forgotten id, KEYS[7] this
 * namespace's last id, KEYS[8] the one-sequence builds' last id, KEYS[9] their floor, KEYS[10] the losses
 * kept, KEYS[11] the publisher's numbers that ran; ARGV[1] publisher's
 * clock in µs; ARGV[2] channel; ARGV[3] the draft as JSON; ARGV[4] events a window keeps (0: this event is
 * not kept); ARGV[5] events kept in all; ARGV[6] the namespace; ARGV[7] window key prefix; ARGV[8] dropped
 * windows remembered; ARGV[9] what a smaller window counts as (see windowCharge); ARGV[10] how long a last
 * id outlives the clock, in ms; ARGV[11] the one-sequence builds' channel, or '' (see below); ARGV[12] 0 for
 * an event, or for a loss (ARGV[3] its draft, see LostEvents) the losses KEYS[10] keeps; ARGV[13] the
 * publish's number, ARGV[14] the publisher's lowest unanswered one, ARGV[15] how long KEYS[11] outlives its
 * last publish, in ms.
 *
 * A publish whose number KEYS[11] holds already ran (it was sent again after its connection died, the answer
 * lost): it does nothing and answers nil, so an event is published once however often it is sent. Numbers
 * below the lowest unanswered are never sent again and are forgotten; the number is kept only once the
 * script has run to its end, so a publish Redis refused part-way is not taken for one that ran.
 *
 * A loss takes an id of its namespace's sequence and a place like an event, is remembered in KEYS[5] as a
 * window dropped up to that id (a replay from before it is incomplete), kept in KEYS[10] for processes
 * catching up, and published on this build's channel only.
 *
 * Beside replicas of the builds with one id sequence (a rolling upgrade), whose ids are places in the same
 * order: their last id (KEYS[8]) past the last place here means one of them published since, and its id
 * becomes a floor (KEYS[9]) every namespace's next id goes past, so an event of theirs delivered under its
 * own id is never followed by a lower one in its namespace. With ARGV[11], their channel, the place is also
 * their last id, so their next id comes after this event, and the event is published there in their
 * message, `<id> <draft>`, its place as the id (their replicas deliver ids of one sequence).
 */
const PUBLISH_SCRIPT = `
local function charge(window)
  local size = redis.call('XLEN', window)
  if size == 0 then return 0 end
  return math.max(size, tonumber(ARGV[9]))
end
local function newestId(window)
  local newest = redis.call('XREVRANGE', window, '+', '-', 'COUNT', 1)[1]
  if newest then return tonumber(string.match(newest[1], '^%d+')) end
  return 0
end
local function forgetDropped()
  while redis.call('ZCARD', KEYS[5]) > tonumber(ARGV[8]) do
    local forgotten = redis.call('ZPOPMIN', KEYS[5])[2]
    if tonumber(forgotten) > tonumber(redis.call('GET', KEYS[6]) or '0') then redis.call('SET', KEYS[6], forgotten) end
  end
end
if redis.call('ZSCORE', KEYS[11], ARGV[13]) then return false end
local now = tonumber(ARGV[1])
local function keptFor(id)
  return math.floor((id - now) / 1000) + tonumber(ARGV[10])
end
local placed = tonumber(redis.call('GET', KEYS[1]) or '0')
local legacy = tonumber(redis.call('GET', KEYS[8]) or '0')
if legacy > placed and keptFor(legacy) > 0 then
  redis.call('SET', KEYS[9], string.format('%.0f', legacy), 'PX', string.format('%.0f', keptFor(legacy)))
end
local order = math.max(placed, legacy)
local busiest = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')[2]
if busiest then order = math.max(order, tonumber(busiest)) end
local place = string.format('%.0f', math.max(order + 1, now))
local last = math.max(tonumber(redis.call('GET', KEYS[7]) or '0'), newestId(KEYS[2]))
last = math.max(last, tonumber(redis.call('ZSCORE', KEYS[5], ARGV[6]) or '0'))
last = math.max(last, tonumber(redis.call('GET', KEYS[9]) or '0'))
local id = math.max(last + 1, now)
local text = string.format('%.0f', id)
redis.call('SET', KEYS[1], place)
if ARGV[11] ~= '' then redis.call('SET', KEYS[8], place) end
redis.call('SET', KEYS[7], text, 'PX', string.format('%.0f', keptFor(id)))
if tonumber(ARGV[12]) > 0 then
  redis.call('ZADD', KEYS[5], text, ARGV[6])
  forgetDropped()
  redis.call('XADD', KEYS[10], 'MAXLEN', ARGV[12], place .. '-0', 'i', text, 'e', ARGV[3])
elseif tonumber(ARGV[4]) > 0 then
  local before = charge(KEYS[2])
  redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[4], text .. '-0', 'e', ARGV[3], 'o', place)
  redis.call('ZADD', KEYS[3], place, ARGV[6])
  local kept = redis.call('INCRBY', KEYS[4], charge(KEYS[2]) - before)
  while kept > tonumber(ARGV[5]) do
    local idle = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
    if idle == ARGV[6] then
      -- only this window is left: the count had drifted (keys removed by hand)
      redis.call('SET', KEYS[4], charge(KEYS[2]))
      break
    end
    local window = ARGV[7] .. idle
    local held = newestId(window)
    kept = redis.call('DECRBY', KEYS[4], charge(window))
    redis.call('DEL', window)
    redis.call('ZREM', KEYS[3], idle)
    redis.call('ZADD', KEYS[5], string.format('%.0f', held), idle)
  end
  forgetDropped()
end
redis.call('PUBLISH', ARGV[2], place .. ' ' .. text .. ' ' .. ARGV[3])
if ARGV[11] ~= '' and tonumber(ARGV[12]) == 0 then redis.call('PUBLISH', ARGV[11], place .. ' ' .. ARGV[3]) end
redis.call('ZREMRANGEBYSCORE', KEYS[11], '-inf', '(' .. ARGV[14])
redis.call('ZADD', KEYS[11], ARGV[13], ARGV[13])
redis.call('PEXPIRE', KEYS[11], ARGV[15])
return text
`;

/**
 * How long Redis keeps a namespace's last id once the publishers' clock has passed it: a replica whose clock
 * lags by less still never hands out an id twice, and Redis holds last ids only of namespaces active lately.
 */
const LAST_ID_KEPT_PAST_CLOCK_MS = 60 * 60 * 1000;

/**
 * Publishes handed to ioredis whose answer has not come, at most. While Redis is away (or silently gone, the
 * connection not yet known dead) the rest wait in the relay's bounded queue, where ioredis's own would hold
 * every publish until its retries gave up, then drop them unannounced.
 */
const SENDS_IN_FLIGHT = 100;

/** Losses kept for processes catching up after their subscription was cut (see RedisKeys.eventsLosses). */
const LOSSES_KEPT = 1000;

/** How long Redis remembers the numbers of a publisher's publishes that ran (RedisKeys.eventsSent) after its last. */
const SENT_REMEMBERED_MS = 24 * 60 * 60 * 1000;

/** How long the relay waits before it publishes a loss Redis refused again, or reads again what it must read. */
const RETRY_MS = 1000;

/** A replay while Redis does not answer: nothing tells what other processes published meanwhile. */
const UNANSWERED_REPLAY: Replay = { events: [], complete: false };

/** What the publish script runs: an event (`lost` undefined) or a loss of `lost` events of `namespace`. */
interface Publish {
  json: string;
  namespace: string;
  /** Events its namespace's window keeps (0: not kept, or a loss). */
  windowSize: number;
  lost?: number;
  nowMicros: number;
}

/**
 * Cross-process events through Redis pub/sub (REDIS_URL): every process publishes here, and each process
 * that has listeners holds one subscription, so each event reaches each process exactly once. Pub/sub keeps
 * nothing, so a process cut off from Redis catches up from the namespaces' capped replay windows when it
 * reconnects; what they trimmed meanwhile (or lost, if Redis restarted without persistence) is gone.
 *
 * Every publish is delivered once or counted as lost and told to its namespace's streams: one whose
 * connection died before its answer is sent again once Redis is back, and runs once (PublishLedger); one Redis
 * refuses is counted as lost; a loss Redis refuses is published again. The publisher's connection keeps no
 * command for a later connection (no offline queue, every unanswered command failed as it closes), so reads
 * answer at once while Redis is away.
 */
export class RedisEventRelay implements EventRelay {
  private readonly logger = new Logger('Events');
  private readonly publisher: Redis;
  private subscriber: Redis | undefined;
  /** Sends not yet handed to ioredis, at most the queue limit; past it the oldest go and their loss is published. */
  private readonly queue: SendQueue;
  private readonly ledger = new PublishLedger<Publish>();
  /** Names this relay's numbers in Redis (RedisKeys.eventsSent): every instance numbers its own. */
  private readonly sender = randomUUID();
  private inFlight = 0;
  /** Losses handed to Redis and not yet answered. */
  private lossesInFlight = 0;
  /** Set while publishing waits to publish again a loss Redis refused. */
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly closing = new AbortController();

  constructor(
    private readonly url: string,
    private readonly keys: RedisKeys,
    /** What the shared replay windows keep (ENGRAM_EVENTS_RING_SIZE per namespace, ENGRAM_EVENTS_RING_TOTAL). */
    private readonly bounds: ReplayBounds,
    private readonly options: RedisRelayOptions = {},
  ) {
    this.queue = new SendQueue('Redis', options.queueLimit ?? SEND_QUEUE_LIMIT, options.metrics);
    this.publisher = this.connect('publisher', { maxRetriesPerRequest: 0, enableOfflineQueue: false });
    this.publisher.on('ready', () => this.publishQueued());
  }

  /**
   * Publishes `draft` now if Redis answers, else queues it: queued sends are published in the order sent once
   * Redis is back. Past the queue's limit the oldest is dropped, and where it would have been every listening
   * process is told of the loss.
   */
  send(draft: EventDraft): void {
    this.queue.push({ draft, nowMicros: this.now() });
    this.publishQueued();
  }

  /** Sends waiting for Redis (never more than the queue's limit). */
  get queuedSends(): number {
    return this.queue.length;
  }

  /**
   * Hands to ioredis, while Redis answers, up to SENDS_IN_FLIGHT at a time (`inFlight`, all of them when
   * closing): first what a dead connection left unanswered, then the losses, then, once Redis stored them,
   * the queued sends, oldest first. They reach Redis in that order on the one connection.
   */
  private publishQueued(inFlight = SENDS_IN_FLIGHT): void {
    while (this.publisher.status === 'ready' && this.inFlight < inFlight && !this.retryTimer) {
      const resend = this.ledger.nextResend();
      if (resend) {
        this.hand(resend);
        continue;
      }
      if (this.lossesInFlight > 0) return; // the sends wait until their losses are stored before them
      if (this.queue.hasLosses) {
        this.publishLosses();
        continue;
      }
      const send = this.queue.shift();
      if (!send) return;
      this.hand(this.ledger.add(eventPublish(send, this.bounds)));
    }
  }

  /** Each namespace's loss in its place, before every send still queued. */
  private publishLosses(): void {
    for (const [namespace, count] of this.queue.takeLosses()) {
      this.lossesInFlight++;
      this.hand(
        this.ledger.add({
          json: lossDraft(namespace, count),
          namespace,
          windowSize: 0,
          lost: count,
          nowMicros: this.now(),
        }),
      );
    }
  }

  private hand({ seq, publish }: { seq: number; publish: Publish }): void {
    this.inFlight++;
    void this.runScript(seq, publish)
      .then(
        () => this.answered(seq, publish),
        (error: Error) => this.failed(seq, publish, error),
      )
      .finally(() => {
        this.inFlight--;
        this.publishQueued();
      });
  }

  private answered(seq: number, { lost }: Publish): void {
    this.ledger.settle(seq);
    if (lost !== undefined && --this.lossesInFlight === 0) this.queue.lossesStored();
  }

  /**
   * Redis refused it (an error reply: it did not run): an event is counted as lost, a loss is published again
   * after RETRY_MS. Any other failure is its connection dying: sent again under its number once Redis is back.
   */
  private failed(seq: number, { namespace, lost }: Publish, error: Error): void {
    if (!(error instanceof ReplyError)) return this.ledger.resendLater(seq);
    this.ledger.settle(seq);
    if (lost === undefined) {
      this.options.metrics?.eventsDropped.inc();
      this.queue.restoreLosses([[namespace, 1]]);
      this.logger.warn({
        msg: 'event refused by Redis: its streams are told of the loss',
        namespace,
        error: error.message,
      });
      return;
    }
    this.lossesInFlight--;
    this.queue.restoreLosses([[namespace, lost]]);
    this.logger.warn({
      msg: 'event loss refused by Redis: published again',
      namespace,
      count: lost,
      error: error.message,
    });
    this.retryTimer ??= setTimeout(() => {
      this.retryTimer = undefined;
      this.publishQueued();
    }, RETRY_MS).unref();
  }

  /** PUBLISH_SCRIPT for `publish`, number `seq` of this relay. */
  private runScript(seq: number, { json, namespace, windowSize, lost, nowMicros }: Publish): Promise<unknown> {
    const { legacyChannel = true } = this.options;
    return this.publisher.eval(
      PUBLISH_SCRIPT,
      11,
      this.keys.eventsOrder,
      this.keys.eventsLog(namespace),
      this.keys.eventsWindows,
      this.keys.eventsKept,
      this.keys.eventsDropped,
      this.keys.eventsForgotten,
      this.keys.lastEventId(namespace),
      this.keys.legacyLastEventId,
      this.keys.legacyIdFloor,
      this.keys.eventsLosses,
      this.keys.eventsSent(this.sender),
      String(nowMicros),
      this.keys.eventsChannel,
      json,
      windowSize,
      this.bounds.total,
      namespace,
      this.keys.eventsLogPrefix,
      droppedRemembered(this.bounds),
      SMALLEST_WINDOW,
      LAST_ID_KEPT_PAST_CLOCK_MS,
      legacyChannel ? this.keys.legacyEventsChannel : '',
      lost === undefined ? 0 : LOSSES_KEPT,
      seq,
      this.ledger.lowestUnanswered,
      SENT_REMEMBERED_MS,
    );
  }

  /** This replica's clock in µs, the floor of the ids it publishes. */
  private now(): number {
    return (this.options.clock ?? Date.now)() * 1000;
  }

  /**
   * Resolves once the subscription is active: from then on every published event reaches `listener`, once
   * and in the publish order, and every loss `onLost`. While Redis is unreachable it waits (no retry limit).
   * It reads the last place handed out, subscribes, then delivers from the shared windows and the losses kept
   * what was published in between; after each reconnection it subscribes again and delivers so what was
   * published while it was cut off, reading again until Redis answers.
   */
  async listen(listener: EventListener, onLost?: LossListener): Promise<void> {
    const subscriber = this.connect('subscriber', { maxRetriesPerRequest: null });
    this.subscriber = subscriber;
    // Nothing published before this place is this listener's.
    const lastPlace = await this.readWhenAnswered(() => this.lastPlace());
    if (lastPlace === undefined) return; // closed first
    let lastDelivered = lastPlace;
    let catchingUp: LogEntry[] | undefined;
    let reconnectedMeanwhile = false;
    const deliver = (entry: LogEntry) => {
      if (entry.place <= lastDelivered) return; // already delivered, live or from the windows
      lastDelivered = entry.place;
      if (entry.event) listener(entry.event);
      else onLost?.(entry.lost);
    };
    const channels = [this.keys.eventsChannel, this.keys.legacyEventsChannel];
    subscriber.on('message', (channel: string, message: string) => {
      // An event of this build comes on both channels (ENGRAM_EVENTS_LEGACY_CHANNEL), one place: `deliver` keeps the first.
      const published = channel === this.keys.eventsChannel ? parseLogMessage(message) : parseLegacyMessage(message);
      if (!published) this.logger.warn({ msg: 'malformed event message ignored', channel });
      else if (catchingUp) catchingUp.push(published);
      else deliver(published);
    });
    const catchUp = async () => {
      do {
        reconnectedMeanwhile = false;
        const held: LogEntry[] = (catchingUp = []);
        // Subscribed before the windows are read, so nothing falls between the two.
        const subscribed = await subscriber.subscribe(...channels).then(
          () => true,
          () => false,
        );
        const missed = subscribed ? await this.readWhenAnswered(() => this.keptSince(lastDelivered)) : undefined;
        catchingUp = undefined;
        for (const published of [...(missed ?? []), ...held].sort((a, b) => a.place - b.place)) deliver(published);
      } while (reconnectedMeanwhile && !this.closing.signal.aborted);
    };
    subscriber.on('ready', () => {
      if (catchingUp) reconnectedMeanwhile = true;
      else void catchUp();
    });
    await catchUp();
  }

  /**
   * The windows' events after what the client has `seen` in each of its namespaces, oldest first, read in
   * one transaction. Complete when nothing of theirs the client has not seen is gone: each window still
   * reaches back to its last id (or never dropped an entry), and no window of theirs dropped whole held
   * anything newer. Incomplete and empty when Redis does not answer in time: this process cannot tell what
   * other processes published meanwhile.
   */
  async history(seen: LastSeen): Promise<Replay | undefined> {
    if (this.bounds.perNamespace === 0) return undefined;
    if (this.away) return UNANSWERED_REPLAY;
    const read = () => this.connected().then(() => this.readHistory(seen));
    return (await readSharedWindows(read, this.logger)) ?? UNANSWERED_REPLAY;
  }

  /**
   * The newest kept events of each of `namespaces` (older than its id in `before` when given), newest first
   * in the order they were published, which their ids, each namespace numbering its own, do not give;
   * undefined when Redis does not answer in time.
   */
  async newest(namespaces: readonly string[], count: number, before?: LastSeen): Promise<EngramEvent[] | undefined> {
    if (this.bounds.perNamespace === 0 || this.away) return undefined;
    return readSharedWindows(async () => {
      await this.connected();
      const read = this.publisher.pipeline();
      for (const namespace of namespaces) {
        const beforeId = before?.get(namespace);
        const end = beforeId === undefined ? '+' : `(${beforeId}-0`;
        read.xrevrange(this.keys.eventsLog(namespace), end, '-', 'COUNT', count);
      }
      const pages = (await read.exec())!.map(([error, entries]) => {
        if (error) throw error;
        return (entries as StreamEntry[]).flatMap((entry) => parseEntry(entry) ?? []);
      });
      return pages
        .flat()
        .sort((a, b) => b.place - a.place)
        .map(({ event }) => event);
    }, this.logger);
  }

  /** Redis is away: the publisher's connection is neither ready nor being made (its outage was logged once). */
  private get away(): boolean {
    return !['ready', 'connecting', 'connect'].includes(this.publisher.status);
  }

  /**
   * Resolves once the publisher's connection is ready, waiting as long as a shared read may while it is being
   * made (the first, or one after an outage).
   */
  private async connected(): Promise<void> {
    if (this.publisher.status === 'ready') return;
    await once(this.publisher, 'ready', { signal: AbortSignal.timeout(HISTORY_WAIT_MS) });
  }

  /**
   * `read` once the publisher's connection is ready, again after each failure, until it answers: for reads
   * without which events would go undelivered unannounced. Undefined once the relay is closed.
   */
  private async readWhenAnswered<T>(read: () => Promise<T>): Promise<T | undefined> {
    while (!this.closing.signal.aborted) {
      await this.untilReady();
      if (this.closing.signal.aborted) break;
      try {
        return await read();
      } catch (error) {
        this.logger.warn({
          msg: 'events not caught up: Redis did not answer; reading again',
          error: (error as Error).message,
        });
        await delay(RETRY_MS, undefined, { ref: false, signal: this.closing.signal }).catch(() => undefined);
      }
    }
    return undefined;
  }

  /** Resolves once the publisher's connection is ready, or the relay closed. */
  private untilReady(): Promise<void> {
    return new Promise((resolve) => {
      if (this.publisher.status === 'ready' || this.closing.signal.aborted) return resolve();
      const done = () => {
        this.publisher.off('ready', done);
        this.closing.signal.removeEventListener('abort', done);
        resolve();
      };
      this.publisher.once('ready', done);
      this.closing.signal.addEventListener('abort', done, { once: true });
    });
  }

  /** The last place handed out, by this build or by a replica of the one-sequence builds (0 when none was). */
  private async lastPlace(): Promise<number> {
    const places = await this.publisher.mget(this.keys.eventsOrder, this.keys.legacyLastEventId);
    return Math.max(0, ...places.map(Number).filter(Number.isSafeInteger));
  }

  /**
   * Every kept event and loss published after place `afterPlace`, whatever its namespace: what a process cut
   * off missed. Only at a reconnection (and as a listener starts), so the windows active since are read whole.
   */
  private async keptSince(afterPlace: number): Promise<LogEntry[]> {
    const active =
      this.bounds.perNamespace === 0
        ? []
        : await this.publisher.zrangebyscore(this.keys.eventsWindows, `(${afterPlace}`, '+inf');
    const read = this.publisher.pipeline().xrange(this.keys.eventsLosses, `(${afterPlace}-0`, '+');
    for (const namespace of active) read.xrange(this.keys.eventsLog(namespace), '-', '+');
    const [losses, ...windows] = (await read.exec())!.map(([error, entries]) => {
      if (error) throw error;
      return entries as StreamEntry[];
    });
    const events = windows.flat().flatMap((entry) => parseEntry(entry) ?? []);
    return [...losses.flatMap((entry) => parseLoss(entry) ?? []), ...events].filter(({ place }) => place > afterPlace);
  }

  private async readHistory(seen: LastSeen): Promise<Replay> {
    const read = this.publisher.multi().get(this.keys.eventsForgotten);
    for (const [namespace, lastId] of seen) {
      const window = this.keys.eventsLog(namespace);
      read.xrange(window, `(${lastId}-0`, '+').xinfo('STREAM', window).zscore(this.keys.eventsDropped, namespace);
    }
    const [[, forgotten], ...answers] = (await read.exec())!;
    const places = new Map<EngramEvent, number>();
    const replays = [...seen.values()].map((lastId, i) => {
      const [[, entries], [noWindow, info], [, dropped]] = answers.slice(i * 3, i * 3 + 3);
      const lostUpTo = Number(dropped ?? forgotten ?? 0);
      // XINFO answers an error for a window that does not exist, which trimmed nothing.
      const reaches = noWindow !== null || reachesBack(info as unknown[], lastId);
      const published = (entries as StreamEntry[]).flatMap((entry) => parseEntry(entry) ?? []);
      for (const { event, place } of published) places.set(event, place);
      return { events: published.map(({ event }) => event), complete: reaches && lastId >= lostUpTo };
    });
    return mergeReplays(replays, (event) => places.get(event)!);
  }

  /** Hands every queued send to Redis when it answers, then ends both connections. */
  async close(): Promise<void> {
    this.closing.abort();
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.publishQueued(Infinity);
    const unsent = this.queue.clear() + this.ledger.resendsWaiting;
    if (unsent > 0) this.logger.warn({ msg: 'events not published: Redis is unreachable', count: unsent });
    await Promise.all([this.subscriber, this.publisher].filter((client) => client !== undefined).map(quit));
  }

  private connect(role: string, options: RedisOptions): Redis {
    const client = new Redis(this.url, { ...options, connectionName: `engram-events-${role}` });
    let reported = false;
    client.on('error', (error: Error) => {
      if (reported) return; // one line per outage, not one per reconnect attempt
      reported = true;
      this.logger.warn({ msg: 'Redis unreachable for events', role, error: error.message });
    });
    client.on('ready', () => (reported = false));
    return client;
  }
}

/** An event's publish: kept in its namespace's window unless its type is live only. */
function eventPublish({ draft, nowMicros }: QueuedSend, bounds: ReplayBounds): Publish {
  const windowSize = keptForReplay(draft.type) ? bounds.perNamespace : 0;
  return { json: JSON.stringify(draft), namespace: draft.namespace, windowSize, nowMicros };
}

export interface RedisRelayOptions {
  /** Sends kept while Redis does not answer; default SEND_QUEUE_LIMIT. */
  queueLimit?: number;
  /** Counts the sends dropped past that limit (engram_events_dropped_total). */
  metrics?: EngramMetrics;
  /** Also publish on the one-sequence builds' channel, in their message (ENGRAM_EVENTS_LEGACY_CHANNEL; default on). */
  legacyChannel?: boolean;
  /** This replica's clock in ms, the floor of the ids it publishes: replicas' clocks differ. */
  clock?: () => number;
}

/**
 * An entry of a replay window as XRANGE answers it: the stream id (`<event id>-0`) and its fields, `e` the
 * draft and `o` its place (absent from entries written when one sequence numbered every event, whose id
 * was its place).
 */
type StreamEntry = [string, string[]];

function parseEntry([entryId, fields]: StreamEntry): Published | undefined {
  const id = entryId.split('-')[0];
  return parsePublished(fields[2] === 'o' ? fields[3] : id, id, fields[1]);
}

/** An entry of the losses kept: the stream id `<place>-0`, `i` the id told and `e` the loss's draft. */
function parseLoss([entryId, fields]: StreamEntry): LogEntry | undefined {
  return parseLogEntry(entryId.split('-')[0], fields[1], fields[3]);
}

/**
 * A message of the builds with one id sequence: `<id> <draft as JSON>`. That id is the event's place, and
 * also its id here: above every id its namespace had (each at most its place) and equal to its window
 * entry's, so live delivery and replay agree.
 */
function parseLegacyMessage(message: string): Published | undefined {
  const [id] = message.split(' ', 1);
  return parsePublished(id, id, message.slice(id.length + 1));
}

/** From XINFO STREAM's answer: whether every entry after `lastId` the window ever held is still in it. */
function reachesBack(info: unknown[], lastId: number): boolean {
  const field = (name: string) => info[info.indexOf(name) + 1];
  if (Number(field('entries-added')) === Number(field('length'))) return true;
  const first = field('first-entry') as [string, unknown] | null;
  return first !== null && Number(first[0].split('-')[0]) <= lastId;
}

/** Flushes pending publishes when connected; gives up at once when Redis is gone. */
async function quit(client: Redis): Promise<void> {
  if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
  else client.disconnect();
}
