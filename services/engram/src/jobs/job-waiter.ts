import { JobQueue } from './job-queue';
import { JobView } from './job.types';

const FINISHED = new Set<JobView['state']>(['completed', 'failed', 'cancelled']);

/**
 * Follows a job until it ends or the time is up, reporting each change of progress. Polling works the
 * same for both adapters and across processes (the worker's events may not reach this one).
 */
export async function followJob(
  queue: JobQueue,
  id: string,
  {
    timeoutMs = Infinity,
    intervalMs = 200,
    onUpdate,
  }: { timeoutMs?: number; intervalMs?: number; onUpdate?: (job: JobView) => void } = {},
): Promise<JobView | undefined> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const job = await queue.get(id);
    if (!job) return undefined;
    const signature = `${job.state}:${job.progress}:${job.stage ?? ''}`;
    if (signature !== last) onUpdate?.(job);
    last = signature;
    if (FINISHED.has(job.state) || Date.now() >= deadline) return job;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
