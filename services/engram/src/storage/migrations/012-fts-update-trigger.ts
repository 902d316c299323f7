import { Migration } from './migration';

/**
 * One update trigger for the keyword index instead of two. SQLite does not promise an order among
 * triggers on one event, and it ran "index the new content" before "unindex the old", which left the
 * external-content FTS index inconsistent after a content edit (keyword search then failed with
 * "database disk image is malformed"). The index is rebuilt from the live rows to repair any damage.
 */
export const ftsUpdateTriggerMigration: Migration = {
  version: 12,
  name: 'fts-update-trigger',
  sql: `
    DROP TRIGGER memories_fts_unindex;
    DROP TRIGGER memories_fts_reindex;
    CREATE TRIGGER memories_fts_update AFTER UPDATE OF content, deleted_at ON memories BEGIN
      INSERT INTO memories_fts (memories_fts, rowid, content)
        SELECT 'delete', old.id, old.content WHERE old.deleted_at IS NULL;
      INSERT INTO memories_fts (rowid, content) SELECT new.id, new.content WHERE new.deleted_at IS NULL;
    END;
    INSERT INTO memories_fts (memories_fts) VALUES ('delete-all');
    INSERT INTO memories_fts (rowid, content) SELECT id, content FROM memories WHERE deleted_at IS NULL;
  `,
};
