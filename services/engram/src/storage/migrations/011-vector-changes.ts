import { Migration } from './migration';

/**
 * A log of which memories' vectors changed, so a process holding the in-memory quantised index can
 * catch up with another process's writes (`engram mcp` over stdio, the worker) instead of reloading
 * everything. Wholesale rewrites (restore, reindex switch) clear it and set a new `vector_epoch`.
 */
export const vectorChangesMigration: Migration = {
  version: 11,
  name: 'vector-changes',
  sql: `
    CREATE TABLE vector_changes (
      seq       INTEGER PRIMARY KEY AUTOINCREMENT,
      memory_id INTEGER NOT NULL
    );
  `,
};
