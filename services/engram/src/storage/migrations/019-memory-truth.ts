import { Migration } from './migration';

/**
 * Memory that stays true: supersession links (a memory replaced by a newer one keeps its content and
 * says by which, and until when it held), usage signals and ratings, and the review of possible
 * contradictions.
 */
export const memoryTruthMigration: Migration = {
  version: 19,
  name: 'memory-truth',
  sql: `
    ALTER TABLE memories ADD COLUMN superseded_by INTEGER REFERENCES memories (id) ON DELETE SET NULL;
    ALTER TABLE memories ADD COLUMN supersedes INTEGER REFERENCES memories (id) ON DELETE SET NULL;
    ALTER TABLE memories ADD COLUMN valid_to INTEGER; -- epoch ms the memory was superseded
    CREATE INDEX memories_superseded_by ON memories (superseded_by) WHERE superseded_by IS NOT NULL;

    -- Use of each memory, recorded in batches off the read path, and explicit ratings.
    CREATE TABLE memory_usage (
      memory_id     INTEGER PRIMARY KEY REFERENCES memories (id) ON DELETE CASCADE,
      retrievals    INTEGER NOT NULL DEFAULT 0, -- returned by a search
      fetches       INTEGER NOT NULL DEFAULT 0, -- read on its own (get, fetch)
      last_used_at  INTEGER,                    -- epoch ms
      rating_sum    INTEGER NOT NULL DEFAULT 0, -- ratings are -1, 0 or 1
      rating_count  INTEGER NOT NULL DEFAULT 0,
      last_rating   INTEGER,
      last_feedback TEXT
    );

    -- Proposed contradictions between two memories (first_id < second_id), kept once decided so a
    -- dismissed pair is never proposed again.
    CREATE TABLE memory_conflicts (
      id          INTEGER PRIMARY KEY,
      namespace   TEXT    NOT NULL,
      first_id    INTEGER NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
      second_id   INTEGER NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
      score       REAL    NOT NULL,
      evidence    TEXT    NOT NULL, -- JSON list of reasons
      status      TEXT    NOT NULL, -- open, resolved, dismissed
      resolution  TEXT,             -- supersede_first, supersede_second, keep_both, dismiss
      created_at  INTEGER NOT NULL,
      resolved_at INTEGER,
      UNIQUE (first_id, second_id)
    );
    CREATE INDEX memory_conflicts_open ON memory_conflicts (namespace, status, score);
  `,
};
