/**
 * A worker for the stalled-job spec: takes jobs from the queue (BullMqJobQueue, as `engram worker` does,
 * with a one-second lock) and never ends them, so that its parent can kill it with SIGKILL while it holds
 * one. It prints `running <job id>` once it holds a job; given a final step's reason, once it has entered
 * that step through the queue (JobContext.enterFinalStep), as a restore's swap or a reindex's switch does.
 * Usage: node dying-worker.child.js <redis url> <key prefix> [final step reason]
 */
import { RedisKeys } from '../config/redis-keys';
import { EventBus } from '../events/event-bus';
import { LocalEventRelay } from '../events/local-event.relay';
import { BullMqJobQueue } from '../jobs/bullmq-job.queue';
import { JobHooks, JobRunner, RunnableJob } from '../jobs/job-runner';

/** Stands in for the runner: this worker is only there to die holding a job, never to end one. */
const holdForever = (finalStep: string | undefined) =>
  ({
    run: async (job: RunnableJob, hooks: JobHooks) => {
      if (finalStep !== undefined && !(await hooks.becomeUncancellable(finalStep))) throw new Error('cancelled first');
      process.stdout.write(`running ${job.id}\n`);
      return new Promise<never>(() => undefined);
    },
  }) as unknown as JobRunner;

async function main(): Promise<void> {
  const [url, prefix, finalStep] = process.argv.slice(2);
  const limits = { maxWaiting: 1000, maxWaitingPerNamespace: 1000, keepFinishedPerNamespace: 200 };
  const queue = new BullMqJobQueue(
    { url, keys: new RedisKeys(prefix), consume: true, waitForConnection: true, limits, lockDurationMs: 1000 },
    holdForever(finalStep),
    new EventBus(new LocalEventRelay()),
  );
  await queue.start();
}

if (require.main === module) void main();
