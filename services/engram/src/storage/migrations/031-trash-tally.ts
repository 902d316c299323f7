import { Migration } from './migration';

/**
 * Adds `sign` to the namespace's `trash` tally when the memory row `row` (`new` or `old`) is a tombstone
 * and no other tombstone of its text is there: a text deleted twice is one entry of the trash.
 */
function countTrashed(row: 'new' | 'old', sign: 1 | -1): string {
  return `
    INSERT INTO memory_tallies (namespace, facet, key, n)
      SELECT ${row}.namespace, 'trash', '', ${sign}
      WHERE ${row}.deleted_at IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM memories WHERE namespace = ${row}.namespace AND content_hash = ${row}.content_hash
          AND deleted_at IS NOT NULL AND id <> ${row}.id)
      ON CONFLICT (namespace, facet, key) DO UPDATE SET n = n + excluded.n;`;
}

/**
 * The `trash` tally (memory-tallies.ts): texts in the namespace's trash, each counted once however often it
 * was deleted, as GET /api/memories/trash lists them, so its total is read instead of counting the distinct
 * hashes of every tombstone for each page. A tombstone counts its text when it is the text's first one in
 * the trash and uncounts it when it was the last (memories_deleted finds the others).
 */
export const trashTallyMigration: Migration = {
  version: 31,
  name: 'trash-tally',
  sql: `
    INSERT INTO memory_tallies (namespace, facet, key, n)
      SELECT namespace, 'trash', '', count(DISTINCT content_hash) FROM memories WHERE deleted_at IS NOT NULL
      GROUP BY namespace;

    CREATE TRIGGER memories_trash_tally_insert AFTER INSERT ON memories WHEN new.deleted_at IS NOT NULL BEGIN
      ${countTrashed('new', 1)}
    END;
    CREATE TRIGGER memories_trash_tally_update AFTER UPDATE OF namespace, content_hash, deleted_at ON memories
    WHEN old.deleted_at IS NOT NULL OR new.deleted_at IS NOT NULL BEGIN
      ${countTrashed('old', -1)}
      ${countTrashed('new', 1)}
    END;
    CREATE TRIGGER memories_trash_tally_delete BEFORE DELETE ON memories WHEN old.deleted_at IS NOT NULL BEGIN
      ${countTrashed('old', -1)}
    END;
  `,
};
