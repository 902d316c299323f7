import { Migration } from './migration';

/**
 * Consolidation proposal sets: a run's proposals (merges of near-duplicates, archives of unused
 * memories), kept for review, and which items were applied with what outcome.
 */
export const consolidationMigration: Migration = {
  version: 21,
  name: 'consolidation',
  sql: `
    CREATE TABLE consolidation_sets (
      seq        INTEGER PRIMARY KEY, -- order of creation
      id         TEXT    NOT NULL UNIQUE,
      namespace  TEXT    NOT NULL,
      job_id     TEXT,
      created_at INTEGER NOT NULL, -- epoch ms
      settings   TEXT    NOT NULL, -- JSON
      summary    TEXT    NOT NULL  -- JSON
    );
    CREATE INDEX consolidation_sets_namespace ON consolidation_sets (namespace, seq);
    CREATE TABLE consolidation_items (
      set_id     TEXT    NOT NULL REFERENCES consolidation_sets (id) ON DELETE CASCADE,
      item_id    INTEGER NOT NULL,
      proposal   TEXT    NOT NULL, -- JSON
      applied_at INTEGER,
      outcome    TEXT,             -- JSON
      PRIMARY KEY (set_id, item_id)
    );
  `,
};
