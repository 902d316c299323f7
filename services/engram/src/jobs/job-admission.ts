import { STORE_WIDE } from '../events/engram-event';
import { JobQueueFull, NamespaceJobsFull } from './job.errors';
import { jobNamespace } from './job.types';

/** Jobs that may wait at once: in all, and of one namespace, so one tenant cannot fill the queue for others. */
export interface WaitingLimits {
  maxWaiting: number;
  maxWaitingPerNamespace: number;
}

/** The jobs waiting now, as the queue counts them (in this process, or in Redis for every replica). */
export interface WaitingJobs {
  total(): Promise<number>;
  inNamespace(namespace: string): Promise<number>;
}

/**
 * Refuses a job beyond ENGRAM_JOBS_MAX_WAITING_PER_NAMESPACE waiting in its namespace, or beyond
 * ENGRAM_JOBS_MAX_WAITING in all. Store-wide jobs (backups, restores, reindexing) are the operator's and
 * meet only the second. Checked before adding, so racing replicas may overshoot by a few. A namespace's
 * jobs are counted only when the queue holds as many in all: with Redis that means reading them.
 */
export async function admitJob(data: unknown, limits: WaitingLimits, waiting: WaitingJobs): Promise<void> {
  const namespace = jobNamespace(data);
  const total = await waiting.total();
  if (
    namespace !== STORE_WIDE &&
    total >= limits.maxWaitingPerNamespace &&
    (await waiting.inNamespace(namespace)) >= limits.maxWaitingPerNamespace
  ) {
    throw new NamespaceJobsFull(limits.maxWaitingPerNamespace);
  }
  if (total >= limits.maxWaiting) throw new JobQueueFull(limits.maxWaiting);
}
