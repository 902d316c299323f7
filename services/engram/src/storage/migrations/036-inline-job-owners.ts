import { Migration } from './migration';

/**
 * The api process that keeps each in-process job (JobRecordStore), so a surviving api can tell the jobs
 * of one that died, by that api's lock, from those of one still running them. Jobs stored before have none.
 */
export const inlineJobOwnersMigration: Migration = {
  version: 36,
  name: 'inline-job-owners',
  sql: `
    ALTER TABLE inline_jobs ADD COLUMN owner TEXT;
  `,
};
