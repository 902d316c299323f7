import { Migration } from './migration';

/**
 * Each in-process job filed under its namespace (jobNamespace: '*' for whole-store jobs), so the ended
 * jobs kept are each namespace's newest, pruned one namespace at a time: before, the store kept the newest
 * 200 of all, and one tenant running 200 jobs made another's finished ones unknown.
 */
export const inlineJobsNamespaceMigration: Migration = {
  version: 37,
  name: 'inline-jobs-namespace',
  sql: `
    ALTER TABLE inline_jobs ADD COLUMN namespace TEXT NOT NULL DEFAULT '*';
    UPDATE inline_jobs SET namespace = json_extract(view, '$.data.namespace')
      WHERE json_type(view, '$.data.namespace') = 'text';
    CREATE INDEX inline_jobs_ended_in_namespace ON inline_jobs (namespace, seq)
      WHERE state NOT IN ('waiting', 'active');
  `,
};
