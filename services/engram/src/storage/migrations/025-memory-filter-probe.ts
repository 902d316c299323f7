import { Migration } from './migration';

/**
 * Every column a filter checks, keyed by id, for the live memories: search checks hundreds of candidate
 * ids against a filter per query (index candidates, full-text matches, neighbours), and reading each
 * memory's table row for it reads its text too. This index takes ~35 bytes a memory, so it stays in the
 * page cache at a million memories where the rows do not. Statements that probe by id name it
 * (PROBED_MEMORIES in memory-filter.sql.ts): SQLite's planner otherwise always takes the rowid.
 * `deleted_at` is NULL in every entry, but without it as a column SQLite reads the row to check it.
 */
export const memoryFilterProbeMigration: Migration = {
  version: 25,
  name: 'memory-filter-probe',
  sql: `
    CREATE INDEX memories_filter_probe
      ON memories (id, namespace, created_at, superseded_by, memory_type, deleted_at) WHERE deleted_at IS NULL;
  `,
};
