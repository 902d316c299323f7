import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestRedis, TestRedis } from '../testing/redis-server';
import { RedisUnreachable, waitForRedis } from './redis-probe';

describe('waiting for Redis at start (a real redis-server)', () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startTestRedis();
  });
  after(() => redis?.close());

  it('waits for a Redis that starts after the server does', async () => {
    await redis.stop();
    const waited = waitForRedis(redis.url, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await redis.start();
    await waited;
  });

  it('gives up after its patience with the last failure, naming Redis without its password', async () => {
    await redis.stop();
    const started = Date.now();
    const url = `redis://:PW-s3cret@127.0.0.1:${redis.port}/0`;
    await assert.rejects(waitForRedis(url, 1_000), (error: Error) => {
      assert.ok(error instanceof RedisUnreachable);
      assert.match(
        error.message,
        new RegExp(`^Cannot reach Redis at redis://127.0.0.1:${redis.port}/0 \\(REDIS_URL\\): `),
      );
      assert.ok(!error.message.includes('PW-s3cret'));
      return true;
    });
    assert.ok(Date.now() - started >= 750, 'gave up before its patience');
    await redis.start();
  });
});
