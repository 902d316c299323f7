import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisKeys } from '../config/redis-keys';
import { startTestRedis, TestRedis } from '../testing/redis-server';
import { waitFor } from '../testing/wait-for';
import { FailureBudget } from './failure-limiter';
import { RedisFailureLimiter } from './redis-failure-limiter';

const BUDGET: FailureBudget = { name: 'address', limit: 3, windowMs: 60_000 };

describe('RedisFailureLimiter (a real redis-server, two limiters as two replicas)', () => {
  let redis: TestRedis;
  let replicaA: RedisFailureLimiter;
  let replicaB: RedisFailureLimiter;
  let raw: Redis;
  const keys = new RedisKeys('engram:limiter-test');

  before(async () => {
    redis = await startTestRedis();
    replicaA = new RedisFailureLimiter(redis.url, keys);
    replicaB = new RedisFailureLimiter(redis.url, keys);
    raw = new Redis(redis.url);
  });
  after(async () => {
    await Promise.all([replicaA.onModuleDestroy(), replicaB.onModuleDestroy()]);
    raw.disconnect();
    await redis.close();
  });

  it('counts failures recorded on one replica against the same client on another', async () => {
    for (let i = 0; i < BUDGET.limit - 1; i++) await replicaA.recordFailure(BUDGET, '203.0.113.7');
    assert.equal(await replicaB.retryAfterSeconds(BUDGET, '203.0.113.7'), 0, 'still within the budget');
    await replicaB.recordFailure(BUDGET, '203.0.113.7');
    const wait = await replicaA.retryAfterSeconds(BUDGET, '203.0.113.7');
    assert.ok(wait >= 59 && wait <= 60, `locked out for the rest of the window on both replicas: ${wait}`);
    assert.equal(await replicaB.retryAfterSeconds(BUDGET, '203.0.113.8'), 0, 'another client is not affected');
    assert.equal(await replicaB.retryAfterSeconds({ ...BUDGET, name: 'key-prefix' }, '203.0.113.7'), 0);
  });

  it('counts failures and reservations two replicas make for one client in the same millisecond', async () => {
    // Both replicas read one frozen clock, as two containers (each pid 1) may read the same millisecond.
    const at = Date.now();
    const [first, second] = [0, 1].map(() => new RedisFailureLimiter(redis.url, keys, () => at));
    const pair: FailureBudget = { name: 'same-millisecond', limit: 2, windowMs: 60_000 };
    const place = { budget: pair, key: '203.0.113.77' };
    try {
      await first.recordFailure(pair, place.key);
      await second.recordFailure(pair, place.key);
      assert.equal(await first.retryAfterSeconds(pair, place.key), 60, 'two failures spend a budget of two');

      const other = { ...place, key: '203.0.113.78' };
      assert.equal((await first.reserve([other])).retryAfterSeconds, 0);
      assert.equal((await second.reserve([other])).retryAfterSeconds, 0);
      assert.equal((await first.reserve([other])).retryAfterSeconds, 60, 'two places taken of two');
    } finally {
      await Promise.all([first.onModuleDestroy(), second.onModuleDestroy()]);
    }
  });

  it('keeps at most the budget per client in Redis, under a hashed key with the deployment prefix', async () => {
    const hostile = `${'x'.repeat(10_000)}\u0000:*`;
    for (let i = 0; i < 20; i++) await replicaA.recordFailure(BUDGET, hostile);
    const stored = await raw.keys('engram:limiter-test:auth-failures:address:*');
    assert.ok(
      stored.every((key) => /^engram:limiter-test:auth-failures:address:[0-9a-f]{32}$/.test(key)),
      stored.join(),
    );
    const counts = await Promise.all(stored.map((key) => raw.zcard(key)));
    assert.ok(Math.max(...counts) <= BUDGET.limit, `entries per client: ${counts}`);
    assert.ok((await raw.pttl(stored[0])) > 0, 'each set expires with its window');
  });

  it('keeps deployments that share a Redis apart', async () => {
    const other = new RedisFailureLimiter(redis.url, new RedisKeys('engram:another-deployment'));
    try {
      for (let i = 0; i < BUDGET.limit; i++) await replicaA.recordFailure(BUDGET, '198.51.100.1');
      assert.ok((await replicaB.retryAfterSeconds(BUDGET, '198.51.100.1')) > 0);
      assert.equal(await other.retryAfterSeconds(BUDGET, '198.51.100.1'), 0);
    } finally {
      await other.onModuleDestroy();
    }
  });

  it('lets a client back in once its failures leave the window', async () => {
    const short: FailureBudget = { name: 'short', limit: 2, windowMs: 400 };
    await replicaA.recordFailure(short, 'client');
    await replicaB.recordFailure(short, 'client');
    assert.equal(await replicaA.retryAfterSeconds(short, 'client'), 1, 'under a second is reported as 1 s');
    await waitFor(async () => (await replicaB.retryAfterSeconds(short, 'client')) === 0, 'the window to pass', 5000);
  });

  it('counts in this process while Redis is down, and shares again when it is back', async () => {
    await redis.stop();
    try {
      for (let i = 0; i < BUDGET.limit; i++) await replicaA.recordFailure(BUDGET, '192.0.2.50');
      assert.ok((await replicaA.retryAfterSeconds(BUDGET, '192.0.2.50')) > 0, 'still limited without Redis');
      const places = await Promise.all(
        Array.from({ length: 10 }, () => replicaA.reserve([{ budget: BUDGET, key: '192.0.2.51' }])),
      );
      assert.equal(places.filter((place) => place.retryAfterSeconds === 0).length, BUDGET.limit, 'reserved here');
    } finally {
      await redis.start();
    }
    await waitFor(async () => {
      await replicaA.recordFailure(BUDGET, '192.0.2.99');
      return (await raw.keys('engram:limiter-test:auth-failures:address:*').catch(() => [])).length > 0;
    }, 'the limiter to write to Redis again');
  });
});
