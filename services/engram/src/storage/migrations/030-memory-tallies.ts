import { Migration } from './migration';

/** Adds `sign` to each tally (memory-tallies.ts) the memory row `row` (`new` or `old`) counts towards. */
function countMemory(row: 'new' | 'old', sign: 1 | -1): string {
  return `
    INSERT INTO memory_tallies (namespace, facet, key, n)
      SELECT ${row}.namespace, facet, key, ${sign} FROM (
        SELECT 'live' AS facet, '' AS key WHERE ${row}.deleted_at IS NULL
        UNION ALL SELECT 'current', '' WHERE ${row}.deleted_at IS NULL AND ${row}.superseded_by IS NULL
        UNION ALL SELECT 'deleted', '' WHERE ${row}.deleted_at IS NOT NULL
        UNION ALL SELECT 'type', ${row}.memory_type WHERE ${row}.deleted_at IS NULL
        UNION ALL SELECT 'tag', tag FROM memory_tags WHERE memory_id = ${row}.id AND ${row}.deleted_at IS NULL)
      WHERE true
      ON CONFLICT (namespace, facet, key) DO UPDATE SET n = n + excluded.n;`;
}

/** Adds `sign` to the tag tally of the tag row `row` when its memory is live. */
export function countTag(row: 'new' | 'old', sign: 1 | -1): string {
  return `
    INSERT INTO memory_tallies (namespace, facet, key, n)
      SELECT m.namespace, 'tag', ${row}.tag, ${sign} FROM memories m WHERE m.id = ${row}.memory_id AND m.deleted_at IS NULL
      ON CONFLICT (namespace, facet, key) DO UPDATE SET n = n + excluded.n;`;
}

/**
 * What each namespace holds, counted as it is written: live, current (not superseded) and deleted memories,
 * live memories by type and by tag (memory-tallies.ts), kept by triggers in the transaction of every write,
 * so the overview, the tag list and a page's total read a few rows instead of counting the namespace:
 * at 100,000 memories the tag counts joined every live memory with its tags (0.56 s). A memory deleted for
 * good is uncounted before the delete, while its tags are there: the cascade removes them once the memory
 * is gone, and a tag row counts only while its memory is live. A memory changing namespace, type or state
 * moves its counts (the old row out, the new one in). SQLite has one writer at a time, so the rows are
 * updated in place; PostgreSQL (its migration 20) adds per-transaction changes instead.
 */
export const memoryTalliesMigration: Migration = {
  version: 30,
  name: 'memory-tallies',
  sql: `
    CREATE TABLE memory_tallies (
      namespace TEXT    NOT NULL,
      facet     TEXT    NOT NULL,
      key       TEXT    NOT NULL, -- the type or tag; '' for the totals
      n         INTEGER NOT NULL,
      PRIMARY KEY (namespace, facet, key)
    ) WITHOUT ROWID;
    INSERT INTO memory_tallies (namespace, facet, key, n)
      SELECT namespace, 'live', '', count(*) FROM memories WHERE deleted_at IS NULL GROUP BY namespace
      UNION ALL SELECT namespace, 'current', '', count(*) FROM memories
        WHERE deleted_at IS NULL AND superseded_by IS NULL GROUP BY namespace
      UNION ALL SELECT namespace, 'deleted', '', count(*) FROM memories WHERE deleted_at IS NOT NULL GROUP BY namespace
      UNION ALL SELECT namespace, 'type', memory_type, count(*) FROM memories
        WHERE deleted_at IS NULL GROUP BY namespace, memory_type
      UNION ALL SELECT m.namespace, 'tag', t.tag, count(*) FROM memory_tags t JOIN memories m ON m.id = t.memory_id
        WHERE m.deleted_at IS NULL GROUP BY m.namespace, t.tag;

    CREATE TRIGGER memories_tally_insert AFTER INSERT ON memories BEGIN
      ${countMemory('new', 1)}
    END;
    CREATE TRIGGER memories_tally_update AFTER UPDATE OF namespace, deleted_at, superseded_by, memory_type ON memories
    BEGIN
      ${countMemory('old', -1)}
      ${countMemory('new', 1)}
    END;
    CREATE TRIGGER memories_tally_delete BEFORE DELETE ON memories BEGIN
      ${countMemory('old', -1)}
    END;
    CREATE TRIGGER memory_tags_tally_insert AFTER INSERT ON memory_tags BEGIN
      ${countTag('new', 1)}
    END;
    CREATE TRIGGER memory_tags_tally_delete AFTER DELETE ON memory_tags BEGIN
      ${countTag('old', -1)}
    END;
    CREATE TRIGGER memory_tags_tally_update AFTER UPDATE ON memory_tags BEGIN
      ${countTag('old', -1)}
      ${countTag('new', 1)}
    END;
  `,
};
