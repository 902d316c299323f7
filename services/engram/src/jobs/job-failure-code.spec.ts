import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuditService } from '../audit/audit.service';
import { SqliteAuditRepository } from '../audit/sqlite-audit.repository';
import { BackupCorrupted } from '../backups/backup.errors';
import { StoreBusy } from '../common/domain-errors';
import { AppConfig } from '../config/config.types';
import { RedisKeys } from '../config/redis-keys';
import { EventBus } from '../events/event-bus';
import { LocalEventRelay } from '../events/local-event.relay';
import { EngramMetrics } from '../metrics/engram-metrics';
import { failedJobExitCode } from '../process/plain-failure';
import { openSqliteDatabase } from '../storage/sqlite.connection';
import { startTestRedis, TestRedis } from '../testing/redis-server';
import { BullMqJobQueue } from './bullmq-job.queue';
import { InlineJobQueue } from './inline-job.queue';
import { JobContext, JobProcessors } from './job-processor';
import { JobQueue } from './job-queue';
import { JobRunner } from './job-runner';
import { JobName, JobView } from './job.types';

/** What the backup processor throws half-way: the next of the list, one per job. */
type Failure = () => Error;

/** SQLite's own error for its busy timeout, as better-sqlite3 throws it. */
function sqliteBusy(): Error {
  return Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
}

function runnerFailingWith(failures: Failure[]): JobRunner {
  const processors = new JobProcessors();
  processors.register({
    name: JobName.Backup,
    async process(_data, job: JobContext) {
      await job.progress(50, 'half-way');
      throw failures.shift()!();
    },
  });
  const metrics = new EngramMetrics();
  const audit = new AuditService(new SqliteAuditRepository(openSqliteDatabase(':memory:', {})), {
    audit: { retentionDays: 365 },
  } as AppConfig);
  return new JobRunner(processors, new EventBus(new LocalEventRelay(), metrics), metrics, audit);
}

async function ended(queue: JobQueue, id: string): Promise<JobView> {
  for (let i = 0; i < 1000; i++) {
    const job = await queue.get(id);
    if (job && ['completed', 'failed', 'cancelled'].includes(job.state)) return job;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`job ${id} did not end`);
}

/** Runs one job per failure, one after the other, and answers each failed job's view. */
async function failedJobs(queue: JobQueue, count: number): Promise<JobView[]> {
  const views: JobView[] = [];
  for (let i = 0; i < count; i++) {
    const queued = await queue.enqueue(JobName.Backup, { reason: 'manual' });
    views.push(await ended(queue, queued.id));
  }
  return views;
}

const LIMITS = { maxWaiting: 100, maxWaitingPerNamespace: 100, keepFinishedPerNamespace: 200 };

describe("a failed job keeps its failure's kind beside its message (error_code), on both queues, and a busy store ends it at its first attempt", () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startTestRedis();
  });
  after(async () => {
    await redis?.close();
  });

  it('inline: a store busy part-way (both kinds), a corrupt backup, and a failure of no known kind', async () => {
    const failures = [
      () => new StoreBusy('Waited too long for a restore to finish; retry shortly'),
      sqliteBusy,
      () => new BackupCorrupted('The backup failed its integrity check'),
      () => new Error('disk full'),
    ];
    const runner = runnerFailingWith(failures);
    const queue = new InlineJobQueue(runner, new EventBus(new LocalEventRelay(), new EngramMetrics()), LIMITS);
    await queue.start();
    const views = await failedJobs(queue, 4);
    await queue.close();
    assert.deepEqual(
      views.map((view) => [view.state, view.error_code, view.error]),
      [
        ['failed', 'store_busy', 'Waited too long for a restore to finish; retry shortly'],
        [
          'failed',
          'database_busy',
          'The database is locked by a long write elsewhere (a restore or reindex switch); retry shortly',
        ],
        ['failed', 'backup_corrupted', 'The backup failed its integrity check'],
        ['failed', undefined, 'disk full'],
      ],
    );
    assert.deepEqual(
      views.map((view) => failedJobExitCode(view.error_code)),
      [75, 75, 65, 1],
      'what a command that ran the job exits with',
    );
    assert.deepEqual(
      views.map((view) => view.attempts),
      [1, 1, 1, 1],
      'no failure is tried again',
    );
  });

  it('BullMQ: the code travels through Redis with the job to whichever process reads it', async () => {
    // Each fails at its first attempt, SQLite's busy timeout too: a retry would take the next failure.
    const failures = [
      () => new StoreBusy('Waited too long for a restore to finish; retry shortly'),
      sqliteBusy,
      () => new BackupCorrupted('The backup failed its integrity check'),
    ];
    const runner = runnerFailingWith(failures);
    const queue = new BullMqJobQueue(
      {
        url: redis.url,
        keys: new RedisKeys('engram-failure-codes'),
        consume: true,
        waitForConnection: true,
        limits: LIMITS,
      },
      runner,
      new EventBus(new LocalEventRelay(), new EngramMetrics()),
    );
    await queue.start();
    try {
      const views = await failedJobs(queue, 3);
      assert.deepEqual(
        views.map((view) => [view.state, view.error_code, view.error, view.attempts]),
        [
          ['failed', 'store_busy', 'Waited too long for a restore to finish; retry shortly', 1],
          [
            'failed',
            'database_busy',
            'The database is locked by a long write elsewhere (a restore or reindex switch); retry shortly',
            1,
          ],
          ['failed', 'backup_corrupted', 'The backup failed its integrity check', 1],
        ],
      );
    } finally {
      await queue.close();
    }
  });
});
