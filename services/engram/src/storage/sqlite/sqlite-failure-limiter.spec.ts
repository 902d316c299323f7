import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, beforeEach, describe, it } from 'node:test';
import { FailureBudget } from '../../auth/failure-limiter';
import { DEFAULT_PRAGMAS } from '../../config/sqlite-pragmas';
import { LimiterPlan, LimiterPlanOutcome } from '../../testing/failure-limiter.child';
import { makeTempDir } from '../../testing/temp-dir';
import { copyLiveDatabase } from '../sqlite-file/database-snapshot';
import { swapInDatabase } from '../sqlite-file/database-swap';
import { openSqliteDatabase, SqliteDatabase } from '../sqlite.connection';
import { SqliteFailureLimiter } from './sqlite-failure-limiter';

const BUDGET: FailureBudget = { name: 'address', limit: 3, windowMs: 60_000 };

const CHILD = join(__dirname, '..', '..', 'testing', 'failure-limiter.child.js');

/**
 * Runs one real process per plan on the file (failure-limiter.child.ts), all started and ready before any
 * is told to go, so they count at once: what each got, per key.
 */
async function limiterProcesses(path: string, plans: LimiterPlan[]): Promise<LimiterPlanOutcome[]> {
  const children = plans.map((plan) => {
    const child = spawn(process.execPath, [CHILD, path, JSON.stringify(plan)], { stdio: ['pipe', 'pipe', 'inherit'] });
    return { child, lines: createInterface({ input: child.stdout! })[Symbol.asyncIterator]() };
  });
  for (const { lines } of children) assert.equal(await protocolLine(lines), 'ready');
  children.forEach(({ child }) => child.stdin!.write('go\n'));
  return Promise.all(
    children.map(async ({ child, lines }) => {
      const outcome = await protocolLine(lines);
      await once(child, 'exit');
      if (!outcome?.startsWith('outcome ')) assert.fail('a process ended before it ran its plan');
      return JSON.parse(outcome.slice('outcome '.length)) as LimiterPlanOutcome;
    }),
  );
}

/** The child's next line saying how it is doing; lines of its log (a warning the file was held) go to stderr. */
async function protocolLine(lines: AsyncIterator<string>): Promise<string | undefined> {
  for (let line = await lines.next(); !line.done; line = await lines.next()) {
    if (line.value === 'ready' || line.value.startsWith('outcome ')) return line.value;
    process.stderr.write(`${line.value}\n`);
  }
  return undefined;
}

describe('SqliteFailureLimiter (two connections to one file as two processes)', () => {
  const folder = makeTempDir('engram-sqlite-limiter-');
  const path = join(folder, 'engram.db');
  let databases: SqliteDatabase[];
  /** The time both count at, moved by the cases. */
  let now: number;
  let processA: SqliteFailureLimiter;
  let processB: SqliteFailureLimiter;

  before(() => {
    databases = [openSqliteDatabase(path, DEFAULT_PRAGMAS), openSqliteDatabase(path, DEFAULT_PRAGMAS)];
    [processA, processB] = databases.map((database) => new SqliteFailureLimiter(database, () => now));
  });
  beforeEach(() => {
    now = Date.now();
    databases[0].exec('DELETE FROM failure_limit_entries');
  });
  after(() => databases.forEach((database) => database.close()));

  const rows = () =>
    databases[0]
      .prepare(
        'SELECT budget, key_digest, count(*) AS count FROM failure_limit_entries GROUP BY budget, key_digest ORDER BY 1, 2',
      )
      .all() as { budget: string; key_digest: string; count: number }[];

  it('counts entries two processes make for one client in the same millisecond', async () => {
    await processA.recordFailure(BUDGET, '203.0.113.77');
    await processB.recordFailure(BUDGET, '203.0.113.77');
    assert.equal((await processA.reserve([{ budget: BUDGET, key: '203.0.113.77' }])).retryAfterSeconds, 0);
    assert.equal(await processB.retryAfterSeconds(BUDGET, '203.0.113.77'), 60, 'three entries spend a budget of three');
  });

  it('keeps at most the budget per client, under a digest of one fixed shape', async () => {
    const hostile = `${'x'.repeat(10_000)}\u0000:*`;
    for (let i = 0; i < 20; i++) await (i % 2 ? processA : processB).recordFailure(BUDGET, hostile);
    const stored = rows();
    assert.equal(stored.length, 1);
    assert.match(stored[0].key_digest, /^[0-9a-f]{32}$/);
    assert.equal(stored[0].count, BUDGET.limit, 'entries kept for one client');
    assert.equal(await processA.retryAfterSeconds(BUDGET, hostile), 60);
  });

  it('deletes the lapsed entries of other clients as it writes, so a flood of addresses leaves no rows behind', async () => {
    const short: FailureBudget = { name: 'short', limit: 5, windowMs: 1000 };
    for (let i = 0; i < 100; i++) await processA.recordFailure(short, `198.51.100.${i}`);
    assert.equal(rows().length, 100);
    now += short.windowMs;
    await processB.recordFailure(BUDGET, '192.0.2.1');
    await processA.reserve([{ budget: BUDGET, key: '192.0.2.2' }]);
    assert.deepEqual(
      rows().map(({ budget, count }) => ({ budget, count })),
      [
        { budget: 'address', count: 1 },
        { budget: 'address', count: 1 },
      ],
      'only the two live entries are left',
    );
  });

  it('lets a client back in once its entries leave the window, telling it the seconds until then', async () => {
    for (let i = 0; i < BUDGET.limit; i++) await processA.recordFailure(BUDGET, 'client');
    now += BUDGET.windowMs - 1500;
    assert.equal(await processB.retryAfterSeconds(BUDGET, 'client'), 2, 'whole seconds, rounded up');
    assert.ok((await processB.reserve([{ budget: BUDGET, key: 'client' }])).retryAfterSeconds > 0);
    now += 1500;
    assert.equal(await processB.retryAfterSeconds(BUDGET, 'client'), 0);
    assert.equal((await processB.reserve([{ budget: BUDGET, key: 'client' }])).retryAfterSeconds, 0);
  });

  it('gives out no more places than the budget to two real processes reserving at once', async () => {
    // A budget larger than either process reaches first, so both are taking places while the other does.
    const plan: LimiterPlan = { action: 'reserve', budget: { ...BUDGET, limit: 200 }, keys: ['all'], attempts: 300 };
    const taken = (await limiterProcesses(path, [plan, plan])).map((outcome) => outcome.all);
    assert.equal(taken[0] + taken[1], 200, `places taken by each process: ${taken.join(' and ')}`);
  });

  it("gives out exactly each client's budget to two real processes reserving for many clients at once", async () => {
    // Small budgets taken in the same order: the two reach each one's last place together, again and again
    // (one that falls behind catches up, as a spent budget is refused by a read alone).
    const keys = Array.from({ length: 500 }, (_, n) => `client-${n}`);
    const plan: LimiterPlan = { action: 'reserve', budget: BUDGET, keys, attempts: BUDGET.limit + 1 };
    const [first, second] = await limiterProcesses(path, [plan, plan]);
    const wrong = keys.filter((key) => first[key] + second[key] !== BUDGET.limit);
    assert.deepEqual(
      wrong.map((key) => `${key}: ${first[key]} + ${second[key]}`),
      [],
      `clients given other than ${BUDGET.limit} places`,
    );
    assert.deepEqual(new Set(rows().map(({ count }) => count)), new Set([BUDGET.limit]), 'places counted per client');
    assert.equal(rows().length, keys.length);
  });

  it('counts every failure two real processes record for one client at once, once', async () => {
    const failures = 150;
    const budget: FailureBudget = { ...BUDGET, limit: 2 * failures + 1 };
    const plan: LimiterPlan = { action: 'record', budget, keys: ['client'], attempts: failures };
    await limiterProcesses(path, [plan, plan]);
    assert.deepEqual(
      rows().map(({ count }) => count),
      [2 * failures],
    );
    // One place is left of the budget, whichever process asks.
    now = Date.now();
    assert.equal((await processA.reserve([{ budget, key: 'client' }])).retryAfterSeconds, 0, 'the last place');
    assert.ok((await processB.retryAfterSeconds(budget, 'client')) > 0, 'and then none');
  });

  it('waits for a write held elsewhere with the event loop free, then counts in the file', async () => {
    const single: FailureBudget = { name: 'single', limit: 1, windowMs: 60_000 };
    const holder = openSqliteDatabase(path, DEFAULT_PRAGMAS);
    try {
      holder.exec('BEGIN IMMEDIATE'); // another process's write, as one counting at the same moment
      const reserving = processA.reserve([{ budget: single, key: 'client' }]);
      const recording = processA.recordFailure(BUDGET, 'client');
      // Both have found the file held; the holder commits once the event loop turns, as a process would.
      await new Promise(setImmediate);
      holder.exec('COMMIT');
      assert.equal((await reserving).retryAfterSeconds, 0, 'the place taken');
      await recording;
    } finally {
      if (holder.inTransaction) holder.exec('ROLLBACK');
      holder.close();
    }
    assert.ok((await processB.reserve([{ budget: single, key: 'client' }])).retryAfterSeconds > 0, 'no second place');
    assert.deepEqual(
      rows().map(({ budget, count }) => ({ budget, count })),
      [
        { budget: 'address', count: 1 },
        { budget: 'single', count: 1 },
      ],
      'both counted in the file',
    );
  });

  it('keeps counting, without waiting out busy_timeout, while another connection holds the file', async () => {
    const patient = openSqliteDatabase(path, { ...DEFAULT_PRAGMAS, busy_timeout: '60000' });
    const holder = openSqliteDatabase(path, DEFAULT_PRAGMAS);
    try {
      const limiter = new SqliteFailureLimiter(patient);
      const budget: FailureBudget = { name: 'held', limit: 30, windowMs: 60_000 };
      holder.exec('BEGIN IMMEDIATE'); // as a restore's swap holds it
      const started = performance.now();
      for (let i = 0; i < budget.limit; i++) await limiter.recordFailure(budget, '203.0.113.9');
      const waited = performance.now() - started;
      assert.ok(
        waited < 30_000,
        `${budget.limit} failures took ${Math.round(waited)} ms against a busy_timeout of 60 s`,
      );
      assert.ok((await limiter.retryAfterSeconds(budget, '203.0.113.9')) > 0, 'counted in the process meanwhile');
      const refused = await limiter.reserve([{ budget, key: '203.0.113.9' }]);
      assert.ok(refused.retryAfterSeconds > 0, 'and refused');
      assert.equal(patient.pragma('busy_timeout', { simple: true }), 60_000, "the connection's own wait is back");
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
      patient.close();
    }
  });

  it('adds what it counted on its own while the file was held to what the file holds', async () => {
    const database = openSqliteDatabase(path, DEFAULT_PRAGMAS);
    const holder = openSqliteDatabase(path, DEFAULT_PRAGMAS);
    try {
      const limiter = new SqliteFailureLimiter(database);
      const budget: FailureBudget = { name: 'split', limit: 4, windowMs: 60_000 };
      for (let i = 0; i < 2; i++) await limiter.recordFailure(budget, 'client');
      holder.exec('BEGIN IMMEDIATE'); // held past the limiter's patience: the next two are its own
      for (let i = 0; i < 2; i++) await limiter.recordFailure(budget, 'client');
      holder.exec('ROLLBACK');
      assert.ok((await limiter.retryAfterSeconds(budget, 'client')) > 0, 'two in the file and two of its own');
      assert.ok((await limiter.reserve([{ budget, key: 'client' }])).retryAfterSeconds > 0, 'refused');
      assert.equal(await processB.retryAfterSeconds(budget, 'client'), 0, "another process sees the file's two");
    } finally {
      if (holder.inTransaction) holder.exec('ROLLBACK');
      holder.close();
      database.close();
    }
  });

  it('keeps the failures counted now across a restore of the file', async () => {
    const backup = join(folder, 'backup.db');
    copyLiveDatabase(path, backup);
    for (let i = 0; i < BUDGET.limit; i++) await processA.recordFailure(BUDGET, 'restoring');
    swapInDatabase(path, backup, join(folder, 'replaced.db'), DEFAULT_PRAGMAS);
    assert.equal(await processB.retryAfterSeconds(BUDGET, 'restoring'), 60, 'the restore gave no fresh budget');
  });
});
