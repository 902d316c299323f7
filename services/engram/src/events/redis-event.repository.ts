import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RedisKeys } from '../config/redis-keys';
import { EngramEvent, EventDraft } from './engram-event';
import { EventListener, EventRelay } from './event-relay';

/**
 * Hands out the next id (the rule of event-ids.ts: max(last + 1, now in µs)) and publishes the event in
 * one atomic step, so the order of ids is the order every subscriber receives. `%.0f` keeps the 16-digit
 * id exact (Lua's tostring would switch to exponent notation).
 * KEYS[1] last id; ARGV[1] publisher's clock in µs; ARGV[2] channel; ARGV[3] the draft as JSON.
 */
const PUBLISH_SCRIPT = `
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local id = math.max(last + 1, tonumber(ARGV[1]))
local text = string.format('%.0f', id)
redis.call('SET', KEYS[1], text)
redis.call('PUBLISH', ARGV[2], text .. ' ' .. ARGV[3])
return text
`;

/**
 * Cross-process events through Redis pub/sub (REDIS_URL): every process publishes here, and each process
 * that has listeners holds one subscription, so each event reaches each process exactly once. Pub/sub keeps
 * nothing: a process cut off from Redis misses what is published meanwhile (its SSE clients can still
 * replay what it received before).
 */
export class RedisEventRepository implements EventRelay {
  private readonly logger = new Logger('Events');
  private readonly publisher: Redis;
  private subscriber: Redis | undefined;

  constructor(
    private readonly url: string,
    private readonly keys: RedisKeys,
  ) {
    this.publisher = this.connect('publisher');
  }

  send(draft: EventDraft): void {
    const nowMicros = String(Date.now() * 1000);
    this.publisher
      .eval(PUBLISH_SCRIPT, 1, this.keys.lastEventId, nowMicros, this.keys.eventsChannel, JSON.stringify(draft))
      .catch((error) => {
        this.logger.warn({ msg: 'event not published', type: draft.type, error: (error as Error).message });
      });
  }

  /**
   * Resolves once the subscription is active: from then on every published event reaches `listener`. While
   * Redis is unreachable it waits (no retry limit), and ioredis subscribes again after each reconnection.
   */
  async listen(listener: EventListener): Promise<void> {
    const subscriber = this.connect('subscriber', null);
    this.subscriber = subscriber;
    subscriber.on('message', (_channel: string, message: string) => {
      const event = parseMessage(message);
      if (event) listener(event);
      else this.logger.warn({ msg: 'malformed event message ignored', channel: this.keys.eventsChannel });
    });
    await subscriber.subscribe(this.keys.eventsChannel);
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

/** Flushes pending publishes when connected; gives up at once when Redis is gone. */
async function quit(client: Redis): Promise<void> {
  if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
  else client.disconnect();
}
