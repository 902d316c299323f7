import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AuditService } from '../audit/audit.service';
import { SqliteAuditRepository } from '../audit/sqlite-audit.repository';
import { AppConfig } from '../config/config.types';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';
import { EventBus } from '../events/event-bus';
import { LocalEventRelay } from '../events/local-event.relay';
import { EngramMetrics } from '../metrics/engram-metrics';
import { openSqliteDatabase } from '../storage/sqlite.connection';
import { openSqliteStores } from '../storage/sqlite/sqlite.stores';
import { makeTempDir } from '../testing/test-app';
import { InlineJobRecords } from './inline-job-owners';
import { InlineJobQueue } from './inline-job.queue';
import { JobContext, JobProcessors } from './job-processor';
import { JobRunner } from './job-runner';
import { JobName, JobView, QueueName } from './job.types';

/** A backup processor that runs until released, checking for cancellation every few milliseconds. */
function queueWithControlledBackups(records?: InlineJobRecords, auditDb = openSqliteDatabase(':memory:', {})) {
  const order: string[] = [];
  const releases: (() => void)[] = [];
  const processors = new JobProcessors();
  processors.register({
    name: JobName.Backup,
    async process(_data, job: JobContext) {
      order.push(job.jobId);
      let released = false;
      releases.push(() => (released = true));
      while (!released) {
        await job.throwIfCancelled();
        await job.progress(50, 'working');
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      return { done: job.jobId };
    },
  });
  const metrics = new EngramMetrics();
  const events = new EventBus(new LocalEventRelay(), metrics);
  const published: string[] = [];
  events.subscribe((event) => published.push(`${event.type}:${event.payload.job_id}`));
  const audit = new AuditService(new SqliteAuditRepository(auditDb), {
    audit: { retentionDays: 365 },
  } as AppConfig);
  const queue = new InlineJobQueue(
    new JobRunner(processors, events, metrics, audit),
    events,
    { maxWaiting: 100, maxWaitingPerNamespace: 100, keepFinishedPerNamespace: 200 },
    records,
  );
  return { queue, order, releases, published, metrics };
}

/** Two apis' stores on one SQLite file (at `path`), and the job records a queue of either takes (with `options`). */
function storesOfTwoApis(options: Pick<InlineJobRecords, 'sweepEveryMs'> = {}) {
  const path = join(makeTempDir(), 'engram.db');
  const open = () => openSqliteStores({ path, pragmas: DEFAULT_PRAGMAS, model: { modelId: 'm', dimension: 4 } });
  const [storesA, storesB] = [open(), open()];
  const recordsOf = (stores: typeof storesA): InlineJobRecords => ({
    store: stores.jobRecords,
    locks: stores.locks,
    ...options,
  });
  return { path, storesA, storesB, recordsOf };
}

/** Two apis' queues on one SQLite file, writing one audit log, as on one store. */
function twoApisOnOneStore(options: Pick<InlineJobRecords, 'sweepEveryMs'> = {}) {
  const stores = storesOfTwoApis(options);
  const auditDb = openSqliteDatabase(':memory:', {});
  const a = queueWithControlledBackups(stores.recordsOf(stores.storesA), auditDb);
  const b = queueWithControlledBackups(stores.recordsOf(stores.storesB), auditDb);
  return { ...stores, auditDb, a, b };
}

/** Two backups queued on `api`'s queue, once the first runs and the second waits behind it. */
async function runningAndWaiting(api: ReturnType<typeof queueWithControlledBackups>) {
  const running = await api.queue.enqueue(JobName.Backup, { reason: 'manual' });
  const waiting = await api.queue.enqueue(JobName.Backup, { reason: 'manual' });
  await until(
    async () => api.order.length,
    (started) => started === 1,
  );
  return { running, waiting };
}

async function until<T>(read: () => Promise<T>, accept: (value: T) => boolean, tries = 500): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await read();
    if (accept(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.fail('condition not reached');
}

const state = (queue: InlineJobQueue, id: string) =>
  until(
    () => queue.get(id),
    () => true,
  ) as Promise<JobView>;

describe('InlineJobQueue', () => {
  it('runs jobs one at a time in arrival order, with progress, results and events', async () => {
    const { queue, order, releases, published } = queueWithControlledBackups();
    await queue.start();
    const first = await queue.enqueue(JobName.Backup, { reason: 'manual' });
    const second = await queue.enqueue(JobName.Backup, { reason: 'manual' });
    await until(
      () => queue.get(first.id),
      (job) => job?.progress === 50,
    );
    assert.equal((await state(queue, second.id)).state, 'waiting');
    releases[0]();
    await until(
      () => queue.get(second.id),
      (job) => job?.state === 'active',
    );
    releases[1]();
    const done = await until(
      () => queue.get(second.id),
      (job) => job?.state === 'completed',
    );
    assert.deepEqual(done!.result, { done: second.id });
    assert.deepEqual(order, [first.id, second.id]);
    assert.ok(published.includes(`job_queued:${first.id}`));
    assert.ok(published.includes(`job_progress:${first.id}`));
    assert.ok(published.includes(`job_completed:${second.id}`));
    assert.deepEqual(await queue.counts(), {
      waiting: 0,
      active: 0,
      completed: 2,
      failed: 0,
      cancelled: 0,
      delayed: 0,
    });
    await queue.close();
  });

  it('cancels a waiting job at once and a running one at its next safe point; an ended job is not cancellable', async () => {
    const { queue, published, metrics } = queueWithControlledBackups();
    await queue.start();
    const running = await queue.enqueue(JobName.Backup, { reason: 'manual' });
    const waiting = await queue.enqueue(JobName.Backup, { reason: 'manual' });
    await until(
      () => queue.get(running.id),
      (job) => job?.state === 'active',
    );
    assert.equal(await queue.cancel(waiting.id), 'cancelled');
    assert.equal(await queue.cancel(running.id), 'cancelling');
    const cancelled = await until(
      () => queue.get(running.id),
      (job) => job?.state === 'cancelled',
    );
    assert.equal(cancelled!.error, 'Cancelled on request');
    assert.equal((await state(queue, waiting.id)).state, 'cancelled');
    assert.ok(published.includes(`job_failed:${running.id}`));
    assert.ok(published.includes(`job_failed:${waiting.id}`), 'a job cancelled before it ran is announced too');
    await assert.rejects(queue.cancel(running.id), /already ended/);
    const text = await metrics.scrape();
    assert.match(text, /engram_jobs_total\{queue="engram-maintenance",name="backup",outcome="cancelled"\} 1/);
    await queue.close();
  });

  it('returns the existing job for a repeated deterministic id, and fires a cron schedule', async () => {
    const { queue, releases } = queueWithControlledBackups();
    await queue.start();
    const a = await queue.enqueue(JobName.Backup, { reason: 'manual' }, { jobId: 'nightly-1' });
    const b = await queue.enqueue(JobName.Backup, { reason: 'manual' }, { jobId: 'nightly-1' });
    assert.equal(a.id, b.id);
    releases[0]();
    await queue.schedule(JobName.Backup, '* * * * * *', { reason: 'scheduled' });
    assert.ok((await queue.nextRun(JobName.Backup))!.getTime() - Date.now() <= 1000);
    const scheduled = await until(
      () => queue.list(10),
      (jobs) => jobs.some((job) => job.id.startsWith('scheduled-backup-')),
    );
    assert.deepEqual(scheduled.find((job) => job.id.startsWith('scheduled-'))!.data, { reason: 'scheduled' });
    await queue.schedule(JobName.Backup, undefined, { reason: 'scheduled' });
    assert.equal(await queue.nextRun(JobName.Backup), undefined);
    for (const release of releases) release();
    await until(
      () => queue.counts(),
      (counts) => counts.active === 0,
    );
    await queue.close();
  });

  it('lists, but never ends, the jobs of a process still running them; a later start ends those of one that died', async () => {
    const { storesA, storesB, recordsOf } = storesOfTwoApis();
    const a = queueWithControlledBackups(recordsOf(storesA));
    const b = queueWithControlledBackups(recordsOf(storesB));
    try {
      await a.queue.start();
      const finished = await a.queue.enqueue(JobName.Backup, { reason: 'manual' });
      await until(
        async () => a.releases.length,
        (started) => started === 1,
      );
      a.releases[0]();
      await until(
        () => a.queue.get(finished.id),
        (job) => job?.state === 'completed',
      );
      const running = await a.queue.enqueue(JobName.Backup, { reason: 'manual' });
      await until(
        async () => a.releases.length,
        (started) => started === 2,
      );

      await b.queue.start();
      // Progress is stored about once a second: allow a few.
      const listed = await until(
        () => b.queue.list(10),
        ([newest]) => newest?.progress === 50,
        2_000,
      );
      assert.deepEqual(
        listed.map((job) => [job.id, job.state]),
        [
          [running.id, 'active'],
          [finished.id, 'completed'],
        ],
        "A's jobs listed by B, newest first",
      );
      assert.equal(listed[0].stage, 'working', "the running one's stage as stored");
      assert.deepEqual(await b.queue.list(1), [listed[0]]);
      assert.deepEqual(await b.queue.list(10, 'tenant-a'), [], "another namespace's list holds none of them");
      assert.equal((await b.queue.get(running.id))?.state, 'active', 'answered by id as stored');
      assert.equal((await b.queue.get(finished.id))?.state, 'completed');
      assert.deepEqual(
        (await storesB.jobRecords.all()).map((job) => job.state),
        ['completed', 'active'],
      );
      a.releases[1]();
      await until(
        () => a.queue.get(running.id),
        (job) => job?.state === 'completed',
      );
      assert.deepEqual(
        (await storesB.jobRecords.all()).map((job) => job.state),
        ['completed', 'completed'],
      );

      // A job stored as running whose process died, found by a process starting alone.
      await storesB.jobRecords.save({ ...running, id: 'job-cut-off-01', state: 'active' }, 'dead0000api00000');
      // And one stored with no owner, as a build before owners (migration 036) stores it: ended only by a
      // start alone, as an api of that build may still be running it.
      const legacy = { ...running, id: 'job-no-owner-01', state: 'active' };
      storesB.db
        .prepare("INSERT INTO inline_jobs (id, state, view) VALUES (?, 'active', ?)")
        .run(legacy.id, JSON.stringify(legacy));
      await Promise.all([a.queue.close(), b.queue.close()]);
      const c = queueWithControlledBackups(recordsOf(storesB));
      await c.queue.start();
      const cutOff = await c.queue.get('job-cut-off-01');
      assert.deepEqual([cutOff?.state, cutOff?.error_code], ['failed', 'interrupted']);
      const noOwner = await c.queue.get(legacy.id);
      assert.deepEqual([noOwner?.state, noOwner?.error_code], ['failed', 'interrupted']);
      assert.deepEqual(
        (await c.queue.list(10)).map((job) => job.id).sort(),
        [legacy.id, 'job-cut-off-01', running.id, finished.id].sort(),
        'listed by the api that took them over',
      );
      assert.equal((await c.queue.get(running.id))?.state, 'completed');
      await c.queue.close();
    } finally {
      await Promise.all([storesA.close(), storesB.close()]);
    }
  });

  it("ends the jobs of an api that died while others run, once, and never a live api's", async () => {
    const { path, storesA, storesB, auditDb, a, b } = twoApisOnOneStore({ sweepEveryMs: 20 });
    try {
      await Promise.all([a.queue.start(), b.queue.start()]);
      const running = await a.queue.enqueue(JobName.Backup, { reason: 'manual' });
      await until(
        async () => a.releases.length,
        (started) => started === 1,
      );
      // An api that died with a job running: its owner id's lock is held by no process.
      const dead = { ...running, id: 'job-of-a-dead-api', state: 'active' as const };
      await storesB.jobRecords.save(dead, 'dead1111api11111');
      const ended = await until(
        () => storesB.jobRecords.find(dead.id),
        (job) => job?.state === 'failed',
      );
      assert.equal(ended!.error_code, 'interrupted');
      assert.match(ended!.error!, /while this job was running/);
      // Audited once its taker lists it: by one of the two, once.
      const audited = await until(
        async () => auditDb.prepare('SELECT outcome FROM audit_events WHERE target = ?').pluck().all(dead.id),
        (outcomes) => outcomes.length > 0,
      );
      assert.deepEqual(audited, ['failure'], 'audited once');
      for (const { queue } of [a, b]) {
        const listed = (await queue.list(10)).map((job) => [job.id, job.state]);
        assert.deepEqual(
          listed,
          [
            [dead.id, 'failed'],
            [running.id, 'active'],
          ],
          'listed so by both apis, once',
        );
      }
      assert.equal((await a.queue.get(dead.id))?.error_code, 'interrupted');
      assert.equal((await b.queue.get(dead.id))?.error_code, 'interrupted');

      // The live api's running job, tried by the other's sweeps all along, is untouched.
      assert.equal((await storesB.jobRecords.find(running.id))?.state, 'active');
      a.releases[0]();
      await until(
        () => b.queue.get(running.id),
        (job) => job?.state === 'completed',
      );
      await Promise.all([a.queue.close(), b.queue.close()]);
      const ownerLocks = readdirSync(`${path}-locks`).filter((name) => name.startsWith('inline-job-owner-'));
      assert.deepEqual(ownerLocks, [], 'no lock file left per api that ever ran');
    } finally {
      for (const release of a.releases) release(); // a failed check must not leave close waiting for the job
      await Promise.all([a.queue.close(), b.queue.close()]);
      await Promise.all([storesA.close(), storesB.close()]);
    }
  });

  it('counts the jobs it ends for an api that died in engram_jobs_total: interrupted, or cancelled once they had started', async () => {
    const { storesA, storesB, recordsOf } = storesOfTwoApis();
    const dead = 'dead2222api22222';
    const job = (id: string, started: boolean): JobView => ({
      id,
      name: JobName.Backup,
      queue: QueueName.Maintenance,
      state: started ? 'active' : 'waiting',
      progress: 0,
      data: { reason: 'manual' },
      attempts: started ? 1 : 0,
      created_at: new Date().toISOString(),
      ...(started && { started_at: new Date().toISOString() }),
    });
    for (const [id, started] of [
      ['running', true],
      ['waiting', false],
      ['running-cancelled', true],
      ['waiting-cancelled', false],
    ] as const) {
      await storesA.jobRecords.save(job(id, started), dead);
      if (id.endsWith('-cancelled')) assert.equal((await storesA.jobRecords.requestCancel(id))?.recorded, true);
    }
    const a = queueWithControlledBackups(recordsOf(storesA));
    try {
      await a.queue.start();
      const ends = await Promise.all(
        ['running', 'waiting', 'running-cancelled', 'waiting-cancelled'].map(
          async (id) => (await a.queue.get(id))?.state,
        ),
      );
      assert.deepEqual(ends, ['failed', 'failed', 'cancelled', 'cancelled']);
      // Interrupted ones are counted so, running or waiting, never as failed (their own work did not fail); a
      // cancel ending one that never ran is not counted, as a job cancelled while it waits never is.
      const scraped = await a.metrics.scrape();
      assert.match(scraped, /engram_jobs_total\{queue="engram-maintenance",name="backup",outcome="interrupted"\} 2\n/);
      assert.doesNotMatch(scraped, /outcome="failed"/);
      assert.match(scraped, /engram_jobs_total\{queue="engram-maintenance",name="backup",outcome="cancelled"\} 1\n/);
    } finally {
      await a.queue.close();
      await Promise.all([storesA.close(), storesB.close()]);
    }
  });

  it('a stopping api ends its running and waiting jobs where every api reads them at once; the api taking them over reports them once', async () => {
    // B looks for stopped apis at its start only: what it reads below is what the stopping api stored.
    const { storesB, storesA, recordsOf, auditDb, a, b } = twoApisOnOneStore({ sweepEveryMs: 3_600_000 });
    try {
      await Promise.all([a.queue.start(), b.queue.start()]);
      const { running, waiting } = await runningAndWaiting(a);
      await a.queue.close();

      for (const id of [running.id, waiting.id]) {
        const job = await b.queue.get(id);
        assert.deepEqual([job?.state, job?.error_code], ['failed', 'interrupted'], `${id} read through B at once`);
      }
      assert.match((await b.queue.get(running.id))!.error!, /while this job was running/);
      assert.match((await b.queue.get(waiting.id))!.error!, /while this job was waiting/);
      assert.deepEqual(
        a.published.filter((event) => event.startsWith('job_failed')),
        [],
        'not reported by A',
      );
      assert.equal(auditDb.prepare('SELECT count(*) FROM audit_events').pluck().get(), 0);

      // An api that takes A's jobs over (here one starting on the store) reports them: once, counted interrupted.
      const c = queueWithControlledBackups(recordsOf(storesB), auditDb);
      await c.queue.start();
      await b.queue.close();
      await c.queue.close();
      for (const id of [running.id, waiting.id]) {
        assert.ok(c.published.includes(`job_failed:${id}`), `${id} announced by the api taking it over`);
        assert.deepEqual(
          auditDb.prepare('SELECT outcome FROM audit_events WHERE target = ?').pluck().all(id),
          ['failure'],
          `${id} audited once`,
        );
      }
      assert.match(await c.metrics.scrape(), /engram_jobs_total\{[^}]*name="backup",outcome="interrupted"\} 2\n/);
      assert.doesNotMatch(await b.metrics.scrape(), /engram_jobs_total\{/, 'B, which took none, counts none');
    } finally {
      for (const release of a.releases) release();
      await Promise.all([a.queue.close(), b.queue.close()]);
      await Promise.all([storesA.close(), storesB.close()]);
    }
  });

  it('ends a job another api keeps when cancelled through this one: running at its next safe point, waiting before it runs', async () => {
    const { storesA, storesB, recordsOf } = storesOfTwoApis();
    const a = queueWithControlledBackups(recordsOf(storesA));
    const b = queueWithControlledBackups(recordsOf(storesB));
    // Cancels are read about once a second: allow a few.
    const soon = <T>(read: () => Promise<T>, accept: (value: T) => boolean) => until(read, accept, 2_000);
    try {
      // Cancelled through B before A starts: A never runs it.
      const early = await a.queue.enqueue(JobName.Backup, { reason: 'manual' });
      assert.equal(await b.queue.cancel(early.id), 'cancelling');
      await Promise.all([a.queue.start(), b.queue.start()]);
      const { running, waiting } = await runningAndWaiting(a);
      const progress = await soon(
        () => b.queue.get(running.id),
        (job) => job?.progress === 50,
      );
      assert.deepEqual([progress?.state, progress?.stage], ['active', 'working'], 'its progress read through B');

      assert.equal(await b.queue.cancel(waiting.id), 'cancelling');
      assert.equal(await b.queue.cancel(running.id), 'cancelling');
      for (const id of [early.id, running.id, waiting.id]) {
        const ended = await soon(
          () => b.queue.get(id),
          (job) => job?.state === 'cancelled',
        );
        assert.equal(ended?.error, 'Cancelled on request');
        assert.equal((await a.queue.get(id))?.state, 'cancelled', 'the same through A');
        assert.ok(a.published.includes(`job_failed:${id}`), 'announced as a cancel through A is');
      }
      assert.deepEqual(a.order, [running.id], 'the jobs cancelled while they waited never ran');
      assert.equal((await b.queue.get(waiting.id))?.started_at, undefined);
      assert.match(await a.metrics.scrape(), /engram_jobs_total\{[^}]*name="backup",outcome="cancelled"\} 1/);
      await assert.rejects(b.queue.cancel(running.id), /already ended \(cancelled\)/);
    } finally {
      for (const release of a.releases) release();
      await Promise.all([a.queue.close(), b.queue.close()]);
      await Promise.all([storesA.close(), storesB.close()]);
    }
  });

  it('refuses to start with a job name that has no processor', () => {
    const processors = new JobProcessors();
    assert.throws(() => processors.assertComplete(), /without a processor: backup, restore, reindex/);
  });
});
