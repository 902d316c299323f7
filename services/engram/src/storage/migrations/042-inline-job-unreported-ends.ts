import { Migration } from './migration';

/**
 * An in-process job its api ended in the store as it stopped (interrupted, or cancelled when its cancel was
 * recorded), so every api reads it ended at once, while its end is still to be audited, counted and announced by
 * the api that takes the stopped api's jobs over (JobRecordStore.endAtStop, takeOver), which lives on to do so.
 */
export const inlineJobUnreportedEndsMigration: Migration = {
  version: 42,
  name: 'inline-job-unreported-ends',
  sql: `
    ALTER TABLE inline_jobs ADD COLUMN end_unreported INTEGER NOT NULL DEFAULT 0;
  `,
};
