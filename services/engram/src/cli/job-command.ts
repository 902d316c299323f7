import { INestApplicationContext } from '@nestjs/common';
import { loadConfigOrReport } from '../http/run-api';
import { createLogger } from '../http/create-app';
import { JOB_QUEUE, JobQueue } from '../jobs/job-queue';
import { followJob } from '../jobs/job-waiter';
import { JobDataByName, JobName } from '../jobs/job.types';
import { createWorkerContext } from '../worker/worker-context';
import { progressPrinter } from './progress-bar';

/**
 * Runs one job for an operator command and follows it with a progress bar. Without Redis the job runs
 * in this process (the api may keep running: the heavy steps use their own connections); with Redis
 * it is queued for the worker, and this command waits for it.
 */
export async function runJobCommand<N extends JobName>(
  name: N,
  data: JobDataByName[N],
  configArgv: readonly string[],
  options: JobQueueOptions = {},
): Promise<number> {
  return withJobQueue(configArgv, (queue) => enqueueAndFollow(queue, name, data), options);
}

/** Queues the job, follows it with a progress bar and prints its result; the exit code. */
export async function enqueueAndFollow<N extends JobName>(
  queue: JobQueue,
  name: N,
  data: JobDataByName[N],
): Promise<number> {
  const queued = await queue.enqueue(name, data);
  if (queue.kind === 'bullmq') process.stderr.write(`queued as job ${queued.id} on Redis; waiting for a worker\n`);
  const job = await followJob(queue, queued.id, { onUpdate: progressPrinter() });
  if (job?.state !== 'completed') {
    process.stderr.write(`engram ${name}: ${job?.state ?? 'lost'}: ${job?.error ?? 'the job disappeared'}\n`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify(job.result, null, 2)}\n`);
  return 0;
}

export interface JobQueueOptions {
  /**
   * Run jobs in this process even when Redis is configured: for a start-up step (an init container)
   * that runs before any worker exists, with nothing else writing the database.
   */
  inProcess?: boolean;
}

/** Opens the job-running context for a command, runs `use`, and closes it; 78 on bad configuration. */
export async function withJobQueue(
  configArgv: readonly string[],
  use: (queue: JobQueue, context: INestApplicationContext) => Promise<number>,
  { inProcess = false }: JobQueueOptions = {},
): Promise<number> {
  const loaded = loadConfigOrReport(configArgv);
  if (!loaded) return 78; // EX_CONFIG
  const config = inProcess ? { ...loaded, redis: {} } : loaded;
  const logger = createLogger({ ...config, log: { level: config.log.level === 'debug' ? 'debug' : 'warn' } });
  const context = await createWorkerContext(config, 'cli', logger);
  try {
    await context.init();
    return await use(context.get<JobQueue>(JOB_QUEUE), context);
  } finally {
    await context.close();
  }
}

/** Splits `argv` into this command's positional arguments and the configuration flags that follow. */
export function splitPositionals(argv: readonly string[]): { positionals: string[]; configArgv: string[] } {
  const firstFlag = argv.findIndex((arg) => arg.startsWith('-'));
  const end = firstFlag === -1 ? argv.length : firstFlag;
  return { positionals: argv.slice(0, end), configArgv: argv.slice(end) };
}
