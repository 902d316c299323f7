import { Migration } from './migration';

/** Adds `sign` to the current_type and current_tag tallies of the memory row `row` when it is current. */
function countCurrentMemory(row: 'new' | 'old', sign: 1 | -1): string {
  return `
    INSERT INTO memory_tallies (namespace, facet, key, n)
      SELECT ${row}.namespace, facet, key, ${sign} FROM (
        SELECT 'current_type' AS facet, ${row}.memory_type AS key
        UNION ALL SELECT 'current_tag', tag FROM memory_tags WHERE memory_id = ${row}.id)
      WHERE ${row}.deleted_at IS NULL AND ${row}.superseded_by IS NULL
      ON CONFLICT (namespace, facet, key) DO UPDATE SET n = n + excluded.n;`;
}

/** Adds `sign` to the current_tag tally of the tag row `row` when its memory is current. */
function countCurrentTag(row: 'new' | 'old', sign: 1 | -1): string {
  return `
    INSERT INTO memory_tallies (namespace, facet, key, n)
      SELECT m.namespace, 'current_tag', ${row}.tag, ${sign} FROM memories m
      WHERE m.id = ${row}.memory_id AND m.deleted_at IS NULL AND m.superseded_by IS NULL
      ON CONFLICT (namespace, facet, key) DO UPDATE SET n = n + excluded.n;`;
}

const CURRENT = (row: 'new' | 'old') => `${row}.deleted_at IS NULL AND ${row}.superseded_by IS NULL`;

/**
 * The `current_type` and `current_tag` tallies (memory-tallies.ts): live memories not superseded, by type
 * and by tag, what a list of one type or one tag counts unless superseded versions are asked for. Before, a
 * page of one tag reached by cursor took the tag's tally less its superseded memories, looked up one by one
 * (no total past 1,000 of those in the store), and a page of one type had no total. Kept by triggers of
 * their own beside migration 030's, on the same writes and with the same order of uncounting (a memory
 * deleted for good before its tags go).
 */
export const currentTalliesMigration: Migration = {
  version: 35,
  name: 'current-tallies',
  sql: `
    INSERT INTO memory_tallies (namespace, facet, key, n)
      SELECT namespace, 'current_type', memory_type, count(*) FROM memories
        WHERE deleted_at IS NULL AND superseded_by IS NULL GROUP BY namespace, memory_type
      UNION ALL SELECT m.namespace, 'current_tag', t.tag, count(*) FROM memory_tags t JOIN memories m ON m.id = t.memory_id
        WHERE m.deleted_at IS NULL AND m.superseded_by IS NULL GROUP BY m.namespace, t.tag;

    CREATE TRIGGER memories_current_tally_insert AFTER INSERT ON memories WHEN ${CURRENT('new')} BEGIN
      ${countCurrentMemory('new', 1)}
    END;
    CREATE TRIGGER memories_current_tally_update
    AFTER UPDATE OF namespace, deleted_at, superseded_by, memory_type ON memories
    WHEN ${CURRENT('old')} OR ${CURRENT('new')} BEGIN
      ${countCurrentMemory('old', -1)}
      ${countCurrentMemory('new', 1)}
    END;
    CREATE TRIGGER memories_current_tally_delete BEFORE DELETE ON memories WHEN ${CURRENT('old')} BEGIN
      ${countCurrentMemory('old', -1)}
    END;
    CREATE TRIGGER memory_tags_current_tally_insert AFTER INSERT ON memory_tags BEGIN
      ${countCurrentTag('new', 1)}
    END;
    CREATE TRIGGER memory_tags_current_tally_delete AFTER DELETE ON memory_tags BEGIN
      ${countCurrentTag('old', -1)}
    END;
    CREATE TRIGGER memory_tags_current_tally_update AFTER UPDATE OF memory_id, tag ON memory_tags BEGIN
      ${countCurrentTag('old', -1)}
      ${countCurrentTag('new', 1)}
    END;
  `,
};
