import { JobView } from '../jobs/job.types';

/**
 * The api's in-process jobs (no Redis), kept in the store so a job answered 202 outlives a crash of the
 * process that accepted it: after a restart it is still listed, as failed with `interrupted` when it never
 * ended. Each job is stored with its owner, the api process running it, so that another api finding that
 * owner gone (by its lock, see InlineJobQueue) takes its jobs over; and under its namespace (jobNamespace:
 * STORE_WIDE for whole-store jobs), whose ended jobs are pruned alone, whichever api keeps them. A port
 * with no driver types; the adapters are storage/sqlite/sqlite-job-record.store.ts and
 * storage/postgres/postgres-job-record.store.ts (table `inline_jobs`). Writes are durable once they resolve.
 */
export interface JobRecordStore {
  /**
   * Stores the job as it stands now for `owner`, replacing what was stored for its id; it keeps its place
   * in the order.
   */
  save(job: JobView, owner: string): Promise<void>;
  /** Every stored job, oldest first: at most `keep` ended ones per namespace, and those waiting or running. */
  all(): Promise<JobView[]>;
  /** The job stored with this id, whichever api keeps it. */
  find(id: string): Promise<JobView | undefined>;
  /** Every owner that has jobs stored, in no order; jobs stored before owners were recorded have none. */
  owners(): Promise<string[]>;
  /**
   * Gives every job of `from` (null: the jobs stored without an owner) to `to` in one transaction, each
   * waiting or running one stored as `interrupt` makes it, under its own namespace still. Answers the jobs
   * taken, oldest first, and those it ended: a job taken by a concurrent caller first is in neither, so
   * each is ended exactly once.
   */
  takeOver(from: string | null, to: string, interrupt: (job: JobView) => JobView): Promise<TakenJobs>;
  /**
   * Forgets the namespace's ended jobs but its newest `keep`, whichever api keeps them; waiting and running
   * ones always stay, and other namespaces' jobs are left alone, however many there are.
   */
  pruneEnded(namespace: string, keep: number): Promise<void>;
}

export interface TakenJobs {
  jobs: JobView[];
  interrupted: JobView[];
}

/** Whether a stored job may still be running somewhere (its owner alive) or is over. */
export function isUnended(job: JobView): boolean {
  return job.state === 'waiting' || job.state === 'active';
}
