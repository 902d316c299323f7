import { Migration } from './migration';

/**
 * Each namespace's in-process jobs in the order accepted, waiting and running ones among them: every api lists
 * a namespace's newest jobs, whichever api keeps them (JobRecordStore.newest), without reading other
 * namespaces' rows. It replaces 037's index of the ended ones alone, which pruning reads as well through this.
 */
export const inlineJobsByNamespaceMigration: Migration = {
  version: 43,
  name: 'inline-jobs-by-namespace',
  sql: `
    DROP INDEX inline_jobs_ended_in_namespace;
    CREATE INDEX inline_jobs_in_namespace ON inline_jobs (namespace, seq);
  `,
};
