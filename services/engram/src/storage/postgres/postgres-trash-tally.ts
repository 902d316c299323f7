import { facetsOf } from './postgres-memory-tallies';
import { COUNTING } from './postgres-tally-recount';

/** The texts (namespace, content hash) of the tombstones among `rows`, each once. */
const trashedTexts = (rows: readonly string[]) =>
  `SELECT DISTINCT namespace, content_hash FROM (${rows
    .map((r) => `SELECT namespace, content_hash FROM ${r} WHERE deleted_at IS NOT NULL`)
    .join(' UNION ALL ')}) r`;

/** Whether the text `t` has a tombstone among memories as this statement sees them, `but` ids aside. */
const inTrash = (but = '') => `EXISTS (SELECT 1 FROM memories m WHERE m.namespace = t.namespace
    AND m.content_hash = t.content_hash AND m.deleted_at IS NOT NULL ${but})`;

/**
 * A trigger function adding to each namespace's `trash` tally the texts the statement put into its trash
 * less those it took out. A text is there after the statement when a tombstone of it is, and was before
 * when one of the statement's old rows was a tombstone of it or another tombstone of it was left alone.
 * Two transactions trashing or restoring copies of one text at once would each see the other's tombstone
 * still there (or not yet): each takes a lock on the text first and then looks with a fresh snapshot
 * (plpgsql, READ COMMITTED), so the second sees what the first committed.
 */
function trashTrigger(name: string, oldRows: boolean, newRows: boolean): string {
  const rows = [...(oldRows ? ['old_rows'] : []), ...(newRows ? ['new_rows'] : [])];
  const before = [
    ...(oldRows
      ? [
          'EXISTS (SELECT 1 FROM old_rows o WHERE o.namespace = t.namespace AND o.content_hash = t.content_hash AND o.deleted_at IS NOT NULL)',
        ]
      : []),
    inTrash(newRows ? 'AND m.id NOT IN (SELECT id FROM new_rows)' : ''),
  ].join(' OR ');
  return `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE text record;
    BEGIN
      FOR text IN SELECT namespace, content_hash FROM (${trashedTexts(rows)}) t ORDER BY namespace, content_hash LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended('engram.trash/' || text.namespace || '/' || text.content_hash, 0));
      END LOOP;
      INSERT INTO memory_tally_changes (namespace, facet, key, n)
        SELECT t.namespace, 'trash', '', sum((${inTrash()})::int - (${before})::int)
        FROM (${trashedTexts(rows)}) t GROUP BY t.namespace
        HAVING sum((${inTrash()})::int - (${before})::int) <> 0;
      RETURN NULL;
    END $$;`;
}

/**
 * PostgreSQL migration 22: the `trash` tally (memory-tallies.ts), the texts in a namespace's trash, each
 * once however often it was deleted, as GET /api/memories/trash lists them, so its total is read instead of
 * counting the distinct hashes of every tombstone for each page. Kept per statement like migration 20's
 * tallies (change rows, folded by them), set aside with them by a restore (migration 21), whose recount
 * now counts it too.
 */
export const POSTGRES_TRASH_TALLY = `
  ${trashTrigger('engram_tally_trash_inserted', false, true)}
  ${trashTrigger('engram_tally_trash_updated', true, true)}
  ${trashTrigger('engram_tally_trash_deleted', true, false)}
  CREATE TRIGGER memories_trash_tally_insert AFTER INSERT ON memories REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (${COUNTING}) EXECUTE FUNCTION engram_tally_trash_inserted();
  CREATE TRIGGER memories_trash_tally_update AFTER UPDATE ON memories
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (${COUNTING}) EXECUTE FUNCTION engram_tally_trash_updated();
  CREATE TRIGGER memories_trash_tally_delete AFTER DELETE ON memories REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT WHEN (${COUNTING}) EXECUTE FUNCTION engram_tally_trash_deleted();

  CREATE OR REPLACE FUNCTION engram_recount_memory_tallies() RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      LOCK TABLE memories IN SHARE ROW EXCLUSIVE MODE;
      PERFORM set_config('engram.tallies_deferred', 'off', true);
      DELETE FROM memory_tally_changes;
      DELETE FROM memory_tallies;
      INSERT INTO memory_tallies (namespace, facet, key, n)
        SELECT namespace, facet, key, count(*) FROM (${facetsOf('memories', '1')}) c (namespace, facet, key, n)
        GROUP BY namespace, facet, key;
      INSERT INTO memory_tallies (namespace, facet, key, n)
        SELECT namespace, 'trash', '', count(DISTINCT content_hash) FROM memories WHERE deleted_at IS NOT NULL
        GROUP BY namespace;
    END $$;

  INSERT INTO memory_tallies (namespace, facet, key, n)
    SELECT namespace, 'trash', '', count(DISTINCT content_hash) FROM memories WHERE deleted_at IS NOT NULL
    GROUP BY namespace;
`;
