import { Logger, OnModuleDestroy } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { RedisKeys } from '../config/redis-keys';
import { FailureBudget, FailureLimiter, InMemoryFailureLimiter } from './failure-limiter';

/**
 * The time the scripts count at, in ms: ARGV[1] when the limiter was given a clock, else Redis's own, so
 * replicas whose clocks differ still agree on every window.
 */
const NOW = `
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = t[1] * 1000 + math.floor(t[2] / 1000)
end`;

/**
 * Records one failure: a sorted set of failure times per key, trimmed to the window and to the last
 * `limit` entries (all an answer needs), expiring with the window. KEYS[1] the set; ARGV: the time, the
 * window in ms, the limit, a member suffix that keeps two failures in the same millisecond apart.
 */
const RECORD_SCRIPT = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
redis.call('ZADD', KEYS[1], now, now .. ':' .. ARGV[4])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[3]) + 1))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 0`;

/**
 * Milliseconds until the key is within its budget again (0 when it is): the oldest of the last `limit`
 * failures leaves the window then. KEYS[1] the set; ARGV: the time, the window in ms, the limit.
 */
const RETRY_SCRIPT = `${NOW}
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then return 0 end
local oldest = redis.call('ZRANGE', KEYS[1], -limit, -limit, 'WITHSCORES')
return tonumber(oldest[2]) + window - now`;

/** How long requests at start-up wait for Redis before counting in this process. */
const FIRST_CONNECTION_MS = 2000;

/**
 * The FailureLimiter every replica shares: failures counted in Redis, so an attacker spreading guesses
 * over api replicas meets one budget, and a client locked out on one replica is locked out on all.
 * While Redis cannot answer, this process counts on its own (the in-memory limiter) rather than either
 * locking everyone out or letting every guess through.
 */
export class RedisFailureLimiter implements FailureLimiter, OnModuleDestroy {
  private readonly logger = new Logger('FailureLimiter');
  private readonly client: Redis;
  private readonly fallback = new InMemoryFailureLimiter();
  private degraded = false;
  /**
   * Sets this limiter's failures apart from other replicas' in the same millisecond: a process id is not
   * enough, as every container's api may be pid 1 (and tests run two limiters in one process).
   */
  private readonly instance = randomBytes(6).toString('hex');
  private sequence = 0;
  /** Settles once the first connection is up or has failed to come up in time. */
  private readonly firstConnection: Promise<unknown>;

  /**
   * `clock` replaces Redis's clock (tests use it to put two replicas' failures in one millisecond); every
   * replica of a deployment must count with the same clock.
   */
  constructor(
    url: string,
    private readonly keys: RedisKeys,
    private readonly clock?: () => number,
  ) {
    this.client = new Redis(url, {
      connectionName: 'engram-failure-limiter',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    this.client.on('error', () => undefined); // reported once per outage by `shared`
    this.firstConnection = once(this.client, 'ready', { signal: AbortSignal.timeout(FIRST_CONNECTION_MS) }).catch(
      () => undefined,
    );
  }

  async retryAfterSeconds(budget: FailureBudget, key: string): Promise<number> {
    const shared = await this.shared(() =>
      this.run(RETRY_SCRIPT, this.keyOf(budget, key), budget.windowMs, budget.limit),
    );
    if (shared === undefined) return this.fallback.retryAfterSeconds(budget, key);
    return shared <= 0 ? 0 : Math.max(1, Math.ceil(shared / 1000));
  }

  async recordFailure(budget: FailureBudget, key: string): Promise<void> {
    const member = `${this.instance}.${this.sequence++}`;
    const recorded = await this.shared(() =>
      this.run(RECORD_SCRIPT, this.keyOf(budget, key), budget.windowMs, budget.limit, member),
    );
    if (recorded === undefined) await this.fallback.recordFailure(budget, key);
  }

  async onModuleDestroy(): Promise<void> {
    if (this.client.status === 'ready') await this.client.quit().catch(() => this.client.disconnect());
    else this.client.disconnect();
  }

  /** Keys are attacker-chosen text: hashed, so every Redis key has one short, fixed shape. */
  private keyOf(budget: FailureBudget, key: string): string {
    const digest = createHash('sha256').update(key).digest('hex').slice(0, 32);
    return this.keys.authFailures(budget.name, digest);
  }

  /** Runs a script on one set with the time first in ARGV ('' for Redis's own); every script answers a number. */
  private run(script: string, set: string, ...args: (string | number)[]): Promise<number> {
    return this.client.eval(script, 1, set, this.clock?.() ?? '', ...args) as Promise<number>;
  }

  private async shared<T>(call: () => Promise<T>): Promise<T | undefined> {
    // Requests at start-up wait for the first connection; during a later outage nothing waits.
    await this.firstConnection;
    try {
      const result = await call();
      if (this.degraded) this.logger.log('Redis answers again: failed credentials are counted across replicas');
      this.degraded = false;
      return result;
    } catch (error) {
      if (!this.degraded) {
        this.logger.warn({
          msg: 'Redis unreachable: failed credentials are counted in this process only until it answers',
          error: (error as Error).message,
        });
      }
      this.degraded = true;
      return undefined;
    }
  }
}
