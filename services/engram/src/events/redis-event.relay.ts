import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { setTimeout as delay } from 'node:timers/promises';
import { RedisKeys } from '../config/redis-keys';
import { EngramEvent, EventDraft, keptForReplay } from './engram-event';
import { EventListener, EventRelay } from './event-relay';
import { Replay } from './event-ring';

/**
 * Hands out the next id (the rule of event-ids.ts: max(last + 1, now in µs), and past the newest entry of
 * the replay log), appends the event to the capped replay log and publishes it, in one atomic step, so the
 * order of ids is the order every subscriber receives and the log holds. `%.0f` keeps the 16-digit id
 * exact (Lua's tostring would switch to exponent notation).
 * KEYS[1] last id, KEYS[2] replay log; ARGV[1] publisher's clock in µs; ARGV[2] channel; ARGV[3] the draft
 * as JSON; ARGV[4] events the log keeps (0: this event is not logged).
 */
const PUBLISH_SCRIPT = `
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local newest = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)[1]
if newest then last = math.max(last, tonumber(string.match(newest[1], '^%d+'))) end
local id = math.max(last + 1, tonumber(ARGV[1]))
local text = string.format('%.0f', id)
redis.call('SET', KEYS[1], text)
if tonumber(ARGV[4]) > 0 then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], text .. '-0', 'e', ARGV[3])
end
redis.call('PUBLISH', ARGV[2], text .. ' ' .. ARGV[3])
return text
`;

/** How long a replay waits for the shared log before the process's own ring serves it. */
const HISTORY_WAIT_MS = 1000;

/**
 * Cross-process events through Redis pub/sub (REDIS_URL): every process publishes here, and each process
 * that has listeners holds one subscription, so each event reaches each process exactly once. Pub/sub keeps
 * nothing, so a process cut off from Redis catches up from the capped replay log when it reconnects; what
 * the log trimmed meanwhile (or lost, if Redis restarted without persistence) is gone.
 */
export class RedisEventRelay implements EventRelay {
  private readonly logger = new Logger('Events');
  private readonly publisher: Redis;
  private subscriber: Redis | undefined;

  constructor(
    private readonly url: string,
    private readonly keys: RedisKeys,
    /** Events the shared replay log keeps (ENGRAM_EVENTS_RING_SIZE). */
    private readonly logSize: number,
  ) {
    this.publisher = this.connect('publisher');
  }

  send(draft: EventDraft): void {
    const nowMicros = String(Date.now() * 1000);
    this.publisher
      .eval(
        PUBLISH_SCRIPT,
        2,
        this.keys.lastEventId,
        this.keys.eventsLog,
        nowMicros,
        this.keys.eventsChannel,
        JSON.stringify(draft),
        keptForReplay(draft.type) ? this.logSize : 0,
      )
      .catch((error) => {
        this.logger.warn({ msg: 'event not published', type: draft.type, error: (error as Error).message });
      });
  }

  /**
   * Resolves once the subscription is active: from then on every published event reaches `listener`, once
   * and in id order. While Redis is unreachable it waits (no retry limit); after each reconnection it
   * subscribes again and first delivers, from the shared log, what was published while it was cut off.
   */
  async listen(listener: EventListener): Promise<void> {
    const subscriber = this.connect('subscriber', null);
    this.subscriber = subscriber;
    let lastDelivered = 0;
    let catchingUp: EngramEvent[] | undefined;
    const deliver = (event: EngramEvent) => {
      if (event.id <= lastDelivered) return; // already delivered, live or from the log
      lastDelivered = event.id;
      listener(event);
    };
    subscriber.on('message', (_channel: string, message: string) => {
      const event = parseMessage(message);
      if (!event) this.logger.warn({ msg: 'malformed event message ignored', channel: this.keys.eventsChannel });
      else if (catchingUp) catchingUp.push(event);
      else deliver(event);
    });
    await subscriber.subscribe(this.keys.eventsChannel);
    // Where a catch-up starts if nothing was delivered before the first outage: what the log held then.
    const subscribedAt = (await this.newest(1))?.[0]?.id ?? 0;
    subscriber.on('ready', () => {
      if (catchingUp) return;
      const held: EngramEvent[] = (catchingUp = []);
      // Subscribed again before reading the log, so nothing falls between the two.
      void subscriber
        .subscribe(this.keys.eventsChannel)
        .then(() => this.history(Math.max(lastDelivered, subscribedAt)))
        .catch(() => undefined)
        .then((missed) => {
          catchingUp = undefined;
          for (const event of [...(missed?.events ?? []), ...held].sort((a, b) => a.id - b.id)) deliver(event);
        });
    });
  }

  /**
   * The log's events after `lastId`, oldest first. Complete when nothing the client has not seen was trimmed:
   * the log still reaches back to `lastId`, or it never dropped an entry. Undefined when Redis does not
   * answer in time.
   */
  async history(lastId: number): Promise<Replay | undefined> {
    if (this.logSize === 0) return undefined;
    return this.readLog(async (): Promise<Replay> => {
      const entries = (await this.publisher.xrange(this.keys.eventsLog, `(${lastId}-0`, '+')) as LogEntry[];
      const info = await this.publisher.call('XINFO', 'STREAM', this.keys.eventsLog).catch(() => undefined);
      return { events: eventsOf(entries), complete: info === undefined || reachesBack(info as unknown[], lastId) };
    });
  }

  /** The log's newest events (older than `beforeId` when given); undefined when Redis does not answer in time. */
  async newest(count: number, beforeId?: number): Promise<EngramEvent[] | undefined> {
    if (this.logSize === 0) return undefined;
    const end = beforeId === undefined ? '+' : `(${beforeId}-0`;
    return this.readLog(async () =>
      eventsOf((await this.publisher.xrevrange(this.keys.eventsLog, end, '-', 'COUNT', count)) as LogEntry[]),
    );
  }

  /** A read of the shared log, or undefined when Redis does not answer within HISTORY_WAIT_MS. */
  private readLog<T>(read: () => Promise<T>): Promise<T | undefined> {
    return Promise.race([read(), delay(HISTORY_WAIT_MS, undefined, { ref: false })]).catch((error: Error) => {
      this.logger.warn({ msg: 'replay log unreadable; this process serves from its own events', error: error.message });
      return undefined;
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.subscriber, this.publisher].filter((client) => client !== undefined).map(quit));
  }

  private connect(role: string, maxRetriesPerRequest: number | null = 20): Redis {
    const client = new Redis(this.url, { maxRetriesPerRequest, connectionName: `engram-events-${role}` });
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

/** An entry of the replay log as XRANGE answers it: the stream id (`<event id>-0`) and its fields. */
type LogEntry = [string, string[]];

function eventsOf(entries: LogEntry[]): EngramEvent[] {
  return entries.flatMap(([id, fields]) => parseMessage(`${id.split('-')[0]} ${fields[1]}`) ?? []);
}

function parseMessage(message: string): EngramEvent | undefined {
  const space = message.indexOf(' ');
  const id = Number(message.slice(0, space));
  if (space < 1 || !Number.isSafeInteger(id)) return undefined;
  try {
    const draft = JSON.parse(message.slice(space + 1)) as EventDraft;
    return typeof draft.type === 'string' ? { id, ...draft } : undefined;
  } catch {
    return undefined;
  }
}

/** From XINFO STREAM's answer: whether every entry after `lastId` the log ever held is still in it. */
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
