import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { FailureBudget } from '../../auth/failure-limiter';
import { startTestPostgres, TestPostgres } from '../../testing/postgres-test-server';
import { openPostgresDatabase } from './postgres.connection';
import { PostgresDatabase } from './postgres.database';
import { PostgresFailureLimiter } from './postgres-failure-limiter';

const BUDGET: FailureBudget = { name: 'address', limit: 3, windowMs: 60_000 };

describe('PostgresFailureLimiter (two pools on one database as two replicas)', () => {
  let server: TestPostgres;
  let databases: PostgresDatabase[];
  /** The time both replicas count at, moved by the cases. */
  let now: number;
  let replicaA: PostgresFailureLimiter;
  let replicaB: PostgresFailureLimiter;

  before(async () => {
    server = await startTestPostgres();
    const settings = { url: server.url, poolSize: 4, statementTimeoutMs: 60_000 };
    databases = [await openPostgresDatabase(settings), await openPostgresDatabase(settings)];
    [replicaA, replicaB] = databases.map((database) => new PostgresFailureLimiter(database, () => now));
  });
  beforeEach(async () => {
    now = Date.now();
    await databases[0].query('DELETE FROM failure_limit_entries');
  });
  after(async () => {
    await Promise.all(databases.map((database) => database.close()));
    await server.close();
  });

  const rows = () =>
    databases[0].query<{ budget: string; key_digest: string; count: number }>(
      'SELECT budget, key_digest, count(*)::int AS count FROM failure_limit_entries GROUP BY budget, key_digest',
    );

  it('counts entries two replicas make for one client in the same millisecond', async () => {
    await replicaA.recordFailure(BUDGET, '203.0.113.77');
    await replicaB.recordFailure(BUDGET, '203.0.113.77');
    assert.equal((await replicaA.reserve([{ budget: BUDGET, key: '203.0.113.77' }])).retryAfterSeconds, 0);
    assert.equal(await replicaB.retryAfterSeconds(BUDGET, '203.0.113.77'), 60, 'three entries spend a budget of three');
  });

  it('keeps at most the budget per client, under a digest of one fixed shape', async () => {
    const hostile = `${'x'.repeat(10_000)}\u0000:*`;
    for (let i = 0; i < 20; i++) await (i % 2 ? replicaA : replicaB).recordFailure(BUDGET, hostile);
    const stored = await rows();
    assert.equal(stored.length, 1);
    assert.match(stored[0].key_digest, /^[0-9a-f]{32}$/);
    assert.equal(stored[0].count, BUDGET.limit, 'entries kept for one client');
    assert.equal(await replicaA.retryAfterSeconds(BUDGET, hostile), 60);
  });

  it('records failures flooding one client on both replicas at once, and keeps no more than the budget of them', async () => {
    await Promise.all(Array.from({ length: 60 }, (_, n) => [replicaA, replicaB][n % 2].recordFailure(BUDGET, 'flood')));
    await replicaA.recordFailure(BUDGET, 'flood');
    assert.deepEqual(
      (await rows()).map(({ count }) => count),
      [BUDGET.limit],
    );
    assert.equal(await replicaB.retryAfterSeconds(BUDGET, 'flood'), 60);
  });

  it('deletes the lapsed entries of other clients as it writes, so a flood of addresses leaves no rows behind', async () => {
    const short: FailureBudget = { name: 'short', limit: 5, windowMs: 1000 };
    for (let i = 0; i < 100; i++) await replicaA.recordFailure(short, `198.51.100.${i}`);
    assert.equal((await rows()).length, 100);
    now += short.windowMs;
    await replicaB.recordFailure(BUDGET, '192.0.2.1');
    await replicaA.reserve([{ budget: BUDGET, key: '192.0.2.2' }]);
    assert.deepEqual(
      (await rows()).map(({ budget, count }) => ({ budget, count })),
      [
        { budget: 'address', count: 1 },
        { budget: 'address', count: 1 },
      ],
      'only the two live entries are left',
    );
  });

  it('lets a client back in once its entries leave the window, telling it the seconds until then', async () => {
    for (let i = 0; i < BUDGET.limit; i++) await replicaA.recordFailure(BUDGET, 'client');
    now += BUDGET.windowMs - 1500;
    assert.equal(await replicaB.retryAfterSeconds(BUDGET, 'client'), 2, 'whole seconds, rounded up');
    assert.ok((await replicaB.reserve([{ budget: BUDGET, key: 'client' }])).retryAfterSeconds > 0);
    now += 1500;
    assert.equal(await replicaB.retryAfterSeconds(BUDGET, 'client'), 0);
    assert.equal((await replicaB.reserve([{ budget: BUDGET, key: 'client' }])).retryAfterSeconds, 0);
  });
});
