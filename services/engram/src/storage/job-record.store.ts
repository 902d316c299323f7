import { JobView } from '../jobs/job.types';

/**
 * The api's in-process jobs (no Redis), kept in the store so a job answered 202 outlives a crash of the
 * process that accepted it: after a restart it is still listed, as failed with `interrupted` when it never
 * ended. Each job is stored with its owner, the api process running it, so that another api finding that
 * owner gone (by its lock, see InlineJobQueue) takes its jobs over; and under its namespace (jobNamespace:
 * STORE_WIDE for whole-store jobs), whose ended jobs are pruned alone, whichever api keeps them. A port
 * with no driver types; the adapters are storage/sqlite/sqlite-job-record.store.ts and
 * storage/postgres/postgres-job-record.store.ts (table `inline_jobs`). Writes are durable once they resolve.
 * A cancel may be asked through any api: it is recorded on the job (requestCancel) and the api running the
 * job acts on it (cancelsRequested, startUnlessCancelled), so no request depends on reaching that one process.
 */
export interface JobRecordStore {
  /**
   * Stores the job as it stands now for `owner`, replacing what was stored for its id; it keeps its place
   * in the order.
   */
  save(job: JobView, owner: string): Promise<void>;
  /**
   * Stores a waiting job as started, its view as it stands now, unless a cancel was requested for it: false
   * then, and nothing is stored, so a job whose cancel was recorded while it waited never runs.
   */
  startUnlessCancelled(job: JobView): Promise<boolean>;
  /**
   * Stores a running job's view as it advances (progress, stage, details), so any api reads it; nothing once
   * the job is stored as ended, so a late write never brings back an ended job. False when the store was too
   * busy to take it at once: a progress write never waits (the caller writes a newer one soon).
   */
  saveProgress(job: JobView): Promise<boolean>;
  /**
   * Records a request to cancel the job if it is waiting or running and has not entered a step it must
   * finish (markUncancellable), whichever api keeps it; answers the job as stored and whether the request
   * was recorded, or undefined when there is none. A job past cancelling is answered from a read alone,
   * without waiting for a write lock its final step may hold.
   */
  requestCancel(id: string): Promise<CancelRequest | undefined>;
  /**
   * Stores that the running job has entered a step it must finish, and why (`reason`), unless a cancel was
   * requested first: false then, and nothing is stored, so a cancel is either honoured or refused, never both.
   */
  markUncancellable(id: string, reason: string): Promise<boolean>;
  /** The ids of `owner`'s waiting and running jobs whose cancel was requested, in no order. */
  cancelsRequested(owner: string): Promise<string[]>;
  /** Every stored job, oldest first: at most `keep` ended ones per namespace, and those waiting or running. */
  all(): Promise<JobView[]>;
  /**
   * The `limit` jobs stored last accepted, newest first, whichever api keeps them (a running one as last
   * stored); with `namespace`, that namespace's only.
   */
  newest(limit: number, namespace?: string): Promise<JobView[]>;
  /** The job stored with this id, whichever api keeps it. */
  find(id: string): Promise<JobView | undefined>;
  /** Every owner that has jobs stored, in no order; jobs stored before owners were recorded have none. */
  owners(): Promise<string[]>;
  /**
   * Gives every job of `from` (null: the jobs stored without an owner) to `to` in one transaction, each
   * waiting or running one stored as `end` makes it (told whether its cancel was requested), under its own
   * namespace still. Answers the jobs taken, oldest first, and those it ended, among them those `from` ended
   * at its stop (endAtStop), whose end is reported by the api taking them: a job taken by a concurrent caller
   * first is in neither, so each end is reported exactly once.
   */
  takeOver(from: string | null, to: string, end: EndUnended): Promise<TakenJobs>;
  /**
   * Stores every waiting or running job of `owner` as `end` makes it (told whether its cancel was requested),
   * in one transaction, its end left for the api that takes `owner`'s jobs over to report (takeOver answers it
   * among those it ended): an api stopping ends its jobs where every api reads them at once, and one living
   * on audits, counts and announces them. Answers the jobs it ended, oldest first.
   */
  endAtStop(owner: string, end: EndUnended): Promise<JobView[]>;
  /**
   * Forgets the namespace's ended jobs but its newest `keep`, whichever api keeps them; waiting and running
   * ones always stay, as do ended ones whose end is still to be reported (endAtStop), and other namespaces'
   * jobs are left alone, however many there are.
   */
  pruneEnded(namespace: string, keep: number): Promise<void>;
}

export interface TakenJobs {
  jobs: JobView[];
  ended: JobView[];
}

/** How a job its api left waiting or running is ended when taken over; `cancelRequested` as stored. */
export type EndUnended = (job: JobView, cancelRequested: boolean) => JobView;

/**
 * A cancel request as the store answered it: the job as stored, whether the request was recorded, and, for
 * a running job that has entered a step it must finish, why it can no longer be cancelled.
 */
export interface CancelRequest {
  job: JobView;
  recorded: boolean;
  uncancellable?: string;
}

/** Whether a stored job may still be running somewhere (its owner alive) or is over. */
export function isUnended(job: JobView): boolean {
  return job.state === 'waiting' || job.state === 'active';
}
