import { Migration } from './migration';

/**
 * A cancel asked of an in-process job through any api on the store (JobRecordStore.requestCancel): the api
 * running the job reads it (cancelsRequested) and ends the job, so a cancel no longer has to reach the one
 * process holding it. The partial index holds only the requests still to act on, which is what is read.
 */
export const inlineJobCancelsMigration: Migration = {
  version: 38,
  name: 'inline-job-cancels',
  sql: `
    ALTER TABLE inline_jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX inline_jobs_cancel_requested ON inline_jobs (owner)
      WHERE cancel_requested = 1 AND state IN ('waiting', 'active');
  `,
};
