import { INestApplicationContext } from '@nestjs/common';
import { BackupService } from '../backups/backup.service';
import { createLogger } from '../process/logger';
import { failedJobExitCode } from '../process/plain-failure';
import { JOB_QUEUE, JobQueue } from '../jobs/job-queue';
import { followJob } from '../jobs/job-waiter';
import { JobQueueUnavailable } from '../jobs/job.errors';
import { JobDataByName, JobName, JobView } from '../jobs/job.types';
import { probeRedis } from '../jobs/redis-probe';
import { WorkspaceFolderSweeper } from '../storage/workspace-folder.sweeper';
import { createWorkerContext } from '../worker/worker-context';
import { configForExistingStore } from './existing-store';
import { printJson } from './cli-output';
import { progressPrinter } from './progress-bar';

export interface JobOutput {
  /** The result as JSON on stdout (for scripts) instead of the human summary. */
  json: boolean;
  /** One line for people from the job's result. */
  summarize(result: Record<string, unknown>): string;
  /** Lines for people on stderr after the summary (why items failed); none with --json, which has them all. */
  problems?(result: Record<string, unknown>): string[];
  /** A completed job whose result means nothing was done (an import where every item failed). */
  failed?(result: Record<string, unknown>): boolean;
}

/**
 * Runs one job for an operator command and follows it with a progress bar. Without Redis the job runs
 * in this process (the api may keep running: the heavy steps use their own connections); with Redis
 * it is queued for the worker, and this command waits for it.
 */
export async function runJobCommand<N extends JobName>(
  name: N,
  data: JobDataByName[N],
  configArgv: readonly string[],
  output: JobOutput,
  options: JobQueueOptions = {},
): Promise<number> {
  return withJobQueue(name, configArgv, (queue) => enqueueAndFollow(queue, name, data, output), options);
}

/** Queues the job, follows it with a progress bar and prints its result; the exit code. */
export async function enqueueAndFollow<N extends JobName>(
  queue: JobQueue,
  name: N,
  data: JobDataByName[N],
  output: JobOutput,
): Promise<number> {
  const queued = await queue.enqueue(name, data);
  if (queue.kind === 'bullmq') process.stderr.write(`queued as job ${queued.id} on Redis; waiting for a worker\n`);
  const job = await followJob(queue, queued.id, { onUpdate: progressPrinter() });
  if (job?.state !== 'completed') return unfinished(name, job);
  const result = job.result ?? {};
  if (output.json) printJson(result);
  else {
    process.stdout.write(`${output.summarize(result)}\n`);
    for (const line of output.problems?.(result) ?? []) process.stderr.write(`${line}\n`);
  }
  return output.failed?.(result) ? 1 : 0;
}

/**
 * Says in one line why a followed job did not complete, and answers the exit code: a failure's by its kind,
 * as if the command had met it itself (75 for a store that turned busy part-way); 1 when cancelled or lost.
 */
export function unfinished(command: string, job: JobView | undefined): number {
  process.stderr.write(`engram ${command}: ${job?.state ?? 'lost'}: ${job?.error ?? 'the job disappeared'}\n`);
  return job?.state === 'failed' ? failedJobExitCode(job.error_code) : 1;
}

export interface JobQueueOptions {
  /**
   * Run jobs in this process even when Redis is configured: for a start-up step (an init container)
   * that runs before any worker exists, with nothing else writing the database.
   */
  inProcess?: boolean;
}

/** Opens the job-running context for a command on an existing store, runs `use`, and closes it. */
export async function withJobQueue(
  command: string,
  configArgv: readonly string[],
  use: (queue: JobQueue, context: INestApplicationContext) => Promise<number>,
  { inProcess = false }: JobQueueOptions = {},
): Promise<number> {
  const loaded = configForExistingStore(command, configArgv);
  if (typeof loaded === 'number') return loaded;
  const config = inProcess ? { ...loaded, redis: {} } : loaded;
  // Before the store opens and the event relay starts warning: an unreachable Redis is one line, exit 69.
  if (config.redis.url) await probeRedis(config.redis.url);
  const logger = createLogger(
    { ...config, log: { ...config.log, level: config.log.level === 'debug' ? 'debug' : 'warn' } },
    { command: true },
  );
  const context = await createWorkerContext(config, 'cli', logger);
  try {
    await context.init();
    // Jobs run here without Redis (imports, agent work on PostgreSQL): what a killed command left goes, as at an
    // api's start, on hosts where none runs. Its shutdown waits for the sweep.
    context.get(WorkspaceFolderSweeper).start();
    // So do the stagings of backups cut short, before the command lists, deletes or backs up anything: it sees
    // what stays (never one a process writes, one untouched for less than 15 minutes or one that may hold the only copy).
    await context.get(BackupService).removeAbandonedStagings();
    return await use(context.get<JobQueue>(JOB_QUEUE), context);
  } catch (error) {
    if (!(error instanceof JobQueueUnavailable)) throw error;
    process.stderr.write(`engram ${command}: ${error.message}\n`); // Redis went away after the probe
    return 69; // EX_UNAVAILABLE
  } finally {
    await context.close();
  }
}

/** A byte count for people: 1.4 MB. */
export function humanBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}
