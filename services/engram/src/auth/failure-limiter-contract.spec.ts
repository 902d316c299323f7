import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RedisKeys } from '../config/redis-keys';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';
import { openPostgresDatabase } from '../storage/postgres/postgres.connection';
import { PostgresFailureLimiter } from '../storage/postgres/postgres-failure-limiter';
import { openSqliteDatabase } from '../storage/sqlite.connection';
import { SqliteFailureLimiter } from '../storage/sqlite/sqlite-failure-limiter';
import { startTestPostgres } from '../testing/postgres-test-server';
import { startTestRedis, TestRedis } from '../testing/redis-server';
import { makeTempDir } from '../testing/temp-dir';
import { BudgetPlace, FailureBudget, FailureLimiter, InMemoryFailureLimiter } from './failure-limiter';
import { RedisFailureLimiter } from './redis-failure-limiter';

/**
 * Two replicas' limiters counting together: one shared limiter twice in process, two clients of one Redis,
 * two pools on one PostgreSQL database, two connections to one SQLite file.
 */
interface LimiterForm {
  name: string;
  open(): Promise<{ replicas: [FailureLimiter, FailureLimiter]; close(): Promise<void> }>;
}

const inProcess: LimiterForm = {
  name: 'in process',
  open: async () => {
    const shared = new InMemoryFailureLimiter();
    return { replicas: [shared, shared], close: async () => undefined };
  },
};

const inRedis: LimiterForm = {
  name: 'Redis (a real redis-server, two limiters as two replicas)',
  open: async () => {
    const redis: TestRedis = await startTestRedis();
    const keys = new RedisKeys('engram:limiter-contract');
    const replicas: [RedisFailureLimiter, RedisFailureLimiter] = [
      new RedisFailureLimiter(redis.url, keys),
      new RedisFailureLimiter(redis.url, keys),
    ];
    return {
      replicas,
      close: async () => {
        await Promise.all(replicas.map((replica) => replica.onModuleDestroy()));
        await redis.close();
      },
    };
  },
};

const inPostgres: LimiterForm = {
  name: 'PostgreSQL (two pools on one database as two replicas)',
  open: async () => {
    const server = await startTestPostgres();
    const settings = { url: server.url, poolSize: 8, statementTimeoutMs: 60_000 };
    const databases = [await openPostgresDatabase(settings), await openPostgresDatabase(settings)];
    return {
      replicas: [new PostgresFailureLimiter(databases[0]), new PostgresFailureLimiter(databases[1])],
      close: async () => {
        await Promise.all(databases.map((database) => database.close()));
        await server.close();
      },
    };
  },
};

const inSqlite: LimiterForm = {
  name: 'SQLite (two connections to one file as two processes)',
  open: async () => {
    const path = join(makeTempDir('engram-limiter-contract-'), 'engram.db');
    const databases = [openSqliteDatabase(path, DEFAULT_PRAGMAS), openSqliteDatabase(path, DEFAULT_PRAGMAS)];
    return {
      replicas: [new SqliteFailureLimiter(databases[0]), new SqliteFailureLimiter(databases[1])],
      close: async () => databases.forEach((database) => database.close()),
    };
  },
};

/** A budget no other case counts against. */
const budget = (limit: number): FailureBudget => ({
  name: `budget-${randomBytes(4).toString('hex')}`,
  limit,
  windowMs: 60_000,
});

for (const form of [inProcess, inRedis, inPostgres, inSqlite]) {
  describe(`FailureLimiter reservations: ${form.name}`, () => {
    let replicas: [FailureLimiter, FailureLimiter];
    let close: () => Promise<void>;

    before(async () => ({ replicas, close } = await form.open()));
    after(() => close());

    /** `attempts` reservations of `places` sent at once, alternating between the replicas: how many took. */
    const reserveAtOnce = async (attempts: number, places: (n: number) => BudgetPlace[]) => {
      const outcomes = await Promise.all(
        Array.from({ length: attempts }, (_, n) => replicas[n % 2].reserve(places(n))),
      );
      return outcomes.map((outcome) => outcome.retryAfterSeconds === 0);
    };

    it('gives out no more places than the budget to reservations made at once on two replicas', async () => {
      const fetches = budget(25);
      const started = Date.now();
      const taken = await reserveAtOnce(400, () => [{ budget: fetches, key: 'all' }]);
      assert.equal(taken.filter(Boolean).length, fetches.limit, 'places taken of 400 asked for at once');
      const wait = await replicas[1].retryAfterSeconds(fetches, 'all');
      // The places were taken while the 400 ran, which a busy machine stretches past a second.
      const earliest = 59 - Math.floor((Date.now() - started) / 1000);
      assert.ok(wait >= earliest && wait <= 60, `the budget is spent for the window: ${wait}`);
    });

    it('takes a place in each of two budgets, or in neither, for reservations made at once', async () => {
      const perAddress = budget(5);
      const everyone = budget(30);
      const addressOf = (n: number) => `198.51.100.${n % 10}`;
      const taken = await reserveAtOnce(200, (n) => [
        { budget: perAddress, key: addressOf(n) },
        { budget: everyone, key: 'all' },
      ]);
      assert.equal(taken.filter(Boolean).length, everyone.limit, "everyone's budget, and no more");
      for (let address = 0; address < 10; address++) {
        const own = taken.filter((took, n) => took && n % 10 === address).length;
        assert.ok(own <= perAddress.limit, `address ${address} took ${own}`);
      }
      // Everyone's budget is spent now: a refused reservation leaves the address's places untouched.
      const fresh = '203.0.113.1';
      const refused = await replicas[0].reserve([
        { budget: perAddress, key: fresh },
        { budget: everyone, key: 'all' },
      ]);
      assert.ok(refused.retryAfterSeconds > 0);
      const alone = await reserveAtOnce(perAddress.limit, () => [{ budget: perAddress, key: fresh }]);
      assert.deepEqual(alone, Array(perAddress.limit).fill(true), "the refused reservation took none of the address's");
    });

    it('frees a place given back, on every replica', async () => {
      const signIns = budget(2);
      const first = await replicas[0].reserve([{ budget: signIns, key: 'address' }]);
      await replicas[1].reserve([{ budget: signIns, key: 'address' }]);
      assert.ok((await replicas[1].reserve([{ budget: signIns, key: 'address' }])).retryAfterSeconds > 0, 'spent');
      await first.release();
      assert.equal(await replicas[1].retryAfterSeconds(signIns, 'address'), 0, 'room again');
      assert.equal((await replicas[1].reserve([{ budget: signIns, key: 'address' }])).retryAfterSeconds, 0);
      assert.ok((await replicas[0].retryAfterSeconds(signIns, 'address')) > 0, 'and only the one place');
    });

    it('counts failures recorded after the fact against the same budget as places reserved', async () => {
      const failures = budget(3);
      await replicas[0].recordFailure(failures, 'key-prefix');
      await replicas[1].recordFailure(failures, 'key-prefix');
      assert.equal((await replicas[0].reserve([{ budget: failures, key: 'key-prefix' }])).retryAfterSeconds, 0);
      assert.ok((await replicas[1].reserve([{ budget: failures, key: 'key-prefix' }])).retryAfterSeconds > 0);
    });
  });
}
