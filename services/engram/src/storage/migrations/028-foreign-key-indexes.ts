import { Migration } from './migration';

/**
 * An index behind every foreign key's child column. Without one, deleting a parent row makes SQLite scan
 * the whole child table for rows pointing at it: `memories.supersedes` points back at `memories`, so each
 * memory deleted for good scanned every memory (30 ms a delete at 100,000 memories; a restore, which
 * empties the table inside its write transaction, would have held writers off for most of an hour).
 * Partial where the column is mostly empty; SQLite uses such an index for `supersedes = ?`.
 */
export const foreignKeyIndexesMigration: Migration = {
  version: 28,
  name: 'foreign-key-indexes',
  sql: `
    CREATE INDEX memories_supersedes ON memories (supersedes) WHERE supersedes IS NOT NULL;
    CREATE INDEX memory_conflicts_second ON memory_conflicts (second_id);
    CREATE INDEX oauth_codes_client ON oauth_codes (client_id);
    CREATE INDEX oauth_tokens_client ON oauth_tokens (client_id);
  `,
};
