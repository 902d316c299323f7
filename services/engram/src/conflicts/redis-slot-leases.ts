import { OnModuleDestroy } from '@nestjs/common';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { RedisKeys } from '../config/redis-keys';
import { SlotLeases } from '../storage/slot-leases';

/**
 * Sweeps the tickets whose lease ran out (by Redis's clock), puts the ticket in line unless it is there,
 * runs its lease from now, and answers 1 when it is among the first `size`. All three keys expire with the
 * newest lease, so a semaphore nobody uses leaves nothing behind. KEYS: line, leases, places; ARGV: ticket,
 * size, lease in ms.
 */
const CLAIM_SCRIPT = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
for _, lapsed in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
  redis.call('ZREM', KEYS[1], lapsed)
  redis.call('ZREM', KEYS[2], lapsed)
end
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[3]), ARGV[1])
end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
if redis.call('ZRANK', KEYS[1], ARGV[1]) < tonumber(ARGV[2]) then return 1 end
return 0`;

/** Extends a ticket's lease unless it has run out. KEYS: line, leases, places; ARGV: ticket, lease in ms. */
const RENEW_SCRIPT = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local ends = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not ends or tonumber(ends) <= now then return 0 end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
return 1`;

/** How long calls at start-up wait for Redis before failing. */
const FIRST_CONNECTION_MS = 2000;

/**
 * SlotLeases in the Redis every replica shares (REDIS_URL), under the deployment's prefix. While Redis
 * cannot answer, calls fail at once rather than queue, and their caller decides (the judge's waits end
 * unjudged).
 */
export class RedisSlotLeases implements SlotLeases, OnModuleDestroy {
  private readonly client: Redis;
  /** Settles once the first connection is up or has failed to come up in time. */
  private readonly firstConnection: Promise<unknown>;

  constructor(
    url: string,
    private readonly keys: RedisKeys,
  ) {
    this.client = new Redis(url, {
      connectionName: 'engram-slot-leases',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    this.client.on('error', () => undefined); // each failed call reports its own error
    this.firstConnection = once(this.client, 'ready', { signal: AbortSignal.timeout(FIRST_CONNECTION_MS) }).catch(
      () => undefined,
    );
  }

  async claim(semaphore: string, ticket: string, size: number, leaseMs: number): Promise<boolean> {
    await this.firstConnection;
    const held = await this.client.eval(CLAIM_SCRIPT, 3, ...this.keysOf(semaphore), ticket, size, leaseMs);
    return held === 1;
  }

  async renew(semaphore: string, ticket: string, leaseMs: number): Promise<void> {
    await this.firstConnection;
    await this.client.eval(RENEW_SCRIPT, 3, ...this.keysOf(semaphore), ticket, leaseMs);
  }

  async release(semaphore: string, ticket: string): Promise<void> {
    const { line, leases } = this.keys.slotLeases(semaphore);
    await this.client.multi().zrem(line, ticket).zrem(leases, ticket).exec();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.client.status === 'ready') await this.client.quit().catch(() => this.client.disconnect());
    else this.client.disconnect();
  }

  private keysOf(semaphore: string): [string, string, string] {
    const { line, leases, places } = this.keys.slotLeases(semaphore);
    return [line, leases, places];
  }
}
