import { JobView } from '../jobs/job.types';

/**
 * The api's in-process jobs (no Redis), kept in the store so a job answered 202 outlives a crash of the
 * process that accepted it: after a restart it is still listed, as failed with `interrupted` when it never
 * ended. A port with no driver types; the adapters are storage/sqlite/sqlite-job-record.store.ts and
 * storage/postgres/postgres-job-record.store.ts (table `inline_jobs`). Writes are durable once they resolve.
 */
export interface JobRecordStore {
  /** Stores the job as it stands now, replacing what was stored for its id; it keeps its place in the order. */
  save(job: JobView): Promise<void>;
  /** The newest `limit` jobs, oldest first. */
  recent(limit: number): Promise<JobView[]>;
  /** Forgets ended jobs but the newest `keep`; waiting and running ones always stay. */
  pruneEnded(keep: number): Promise<void>;
}
