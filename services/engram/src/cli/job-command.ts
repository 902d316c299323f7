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
): Promise<number> {
  return withJobQueue(configArgv, async (queue) => {
    const queued = await queue.enqueue(name, data);
    if (queue.kind === 'bullmq') process.stderr.write(`queued as job ${queued.id} on Redis; waiting for a worker\n`);
    const job = await followJob(queue, queued.id, { onUpdate: progressPrinter() });
    if (job?.state !== 'completed') {
      process.stderr.write(`engram ${name}: ${job?.state ?? 'lost'}: ${job?.error ?? 'the job disappeared'}\n`);
      return 1;
    }
    process.stdout.write(`${JSON.stringify(job.result, null, 2)}\n`);
    return 0;
  });
}

/** Opens the job-running context for a command, runs `use`, and closes it; 78 on bad configuration. */
export async function withJobQueue(
  configArgv: readonly string[],
  use: (queue: JobQueue, context: INestApplicationContext) => Promise<number>,
): Promise<number> {
  const config = loadConfigOrReport(configArgv);
  if (!config) return 78; // EX_CONFIG
  const logger = createLogger({
    ...config,
    log: { ...config.log, level: config.log.level === 'debug' ? 'debug' : 'warn' },
  });
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
