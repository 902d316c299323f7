import { Migration } from './migration';

/**
 * The api's in-process jobs (no Redis), so one answered 202 is still known after a crash of the api
 * (JobRecordStore): the job's view as JSON, its state beside it for pruning, `seq` the order accepted.
 */
export const inlineJobsMigration: Migration = {
  version: 34,
  name: 'inline-jobs',
  sql: `
    CREATE TABLE inline_jobs (
      seq   INTEGER PRIMARY KEY AUTOINCREMENT,
      id    TEXT NOT NULL UNIQUE,
      state TEXT NOT NULL,
      view  TEXT NOT NULL
    );
  `,
};
