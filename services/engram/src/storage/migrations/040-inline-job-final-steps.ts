import { Migration } from './migration';

/**
 * Why an in-process job can no longer be cancelled, once it has entered a step it must finish (a restore's
 * swap, a reindex's switch): a cancel through any api is then refused with it (409) from a read alone, which
 * a SQLite write lock held for the step does not hold up, and never recorded as a cancel it would not honour.
 */
export const inlineJobFinalStepsMigration: Migration = {
  version: 40,
  name: 'inline-job-final-steps',
  sql: `
    ALTER TABLE inline_jobs ADD COLUMN uncancellable TEXT;
  `,
};
