import { facetsOf, liveTagsOf, tallyTrigger } from './postgres-memory-tallies';

const CURRENT = 'r.deleted_at IS NULL AND r.superseded_by IS NULL';

/** The current_type and current_tag facets (memory-tallies.ts) of each current memory row of `rows`; signed. */
function currentFacetsOf(rows: string, sign: string, withTags = true): string {
  const types = `SELECT r.namespace, 'current_type', r.memory_type, ${sign} FROM ${rows} r WHERE ${CURRENT}`;
  if (!withTags) return types;
  return `${types} UNION ALL SELECT r.namespace, 'current_tag', t.tag, ${sign} FROM ${rows} r
      JOIN memory_tags t ON t.memory_id = r.id WHERE ${CURRENT}`;
}

/** Each tag row of `rows` whose memory is current, signed, in its memory's namespace. */
const currentTagsOf = (rows: string, sign: string) =>
  `SELECT m.namespace, 'current_tag', r.tag, ${sign} FROM ${rows} r JOIN memories m ON m.id = r.memory_id
     WHERE m.deleted_at IS NULL AND m.superseded_by IS NULL`;

/** Migration 20's facets and the current ones of each memory row of `rows`; signed. */
const everyFacetOf = (rows: string, sign: string, withTags = true) =>
  `${facetsOf(rows, sign, withTags)} UNION ALL ${currentFacetsOf(rows, sign, withTags)}`;

/** The tag tallies, live and current, of each tag row of `rows`; signed. */
const everyTagOf = (rows: string, sign: string) => `${liveTagsOf(rows, sign)} UNION ALL ${currentTagsOf(rows, sign)}`;

/**
 * PostgreSQL migration 27, SQLite's 035: the `current_type` and `current_tag` tallies (memory-tallies.ts),
 * live memories not superseded by type and by tag, what a list of one type or one tag counts unless
 * superseded versions are asked for. Migration 20's trigger functions, its row trigger uncounting a deleted
 * memory's tags, its truncate handler and the restore's recount (migrations 21, 22) are replaced to count
 * them too, in the same change rows; the triggers stay as they are. The tallies are then counted afresh
 * under the recount's lock, which makes writers of memories wait until the migration commits.
 */
export const POSTGRES_CURRENT_TALLIES = `
  ${tallyTrigger('engram_tally_inserted_memories', everyFacetOf('new_rows', '1'))}
  ${tallyTrigger('engram_tally_updated_memories', `${everyFacetOf('old_rows', '-1')} UNION ALL ${everyFacetOf('new_rows', '1')}`)}
  ${tallyTrigger('engram_tally_deleted_memories', everyFacetOf('old_rows', '-1', false))}
  ${tallyTrigger('engram_tally_inserted_tags', everyTagOf('new_rows', '1'))}
  ${tallyTrigger('engram_tally_deleted_tags', everyTagOf('old_rows', '-1'))}
  ${tallyTrigger('engram_tally_updated_tags', `${everyTagOf('old_rows', '-1')} UNION ALL ${everyTagOf('new_rows', '1')}`)}
  CREATE OR REPLACE FUNCTION engram_untally_tags_of_deleted_memory() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO memory_tally_changes (namespace, facet, key, n)
        SELECT OLD.namespace, facet, t.tag, -1 FROM memory_tags t
        CROSS JOIN (SELECT 'tag' UNION ALL SELECT 'current_tag' WHERE OLD.superseded_by IS NULL) f (facet)
        WHERE t.memory_id = OLD.id;
      RETURN OLD;
    END $$;
  CREATE OR REPLACE FUNCTION engram_forget_memory_tallies() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM memory_tallies WHERE TG_TABLE_NAME = 'memories' OR facet IN ('tag', 'current_tag');
      DELETE FROM memory_tally_changes WHERE TG_TABLE_NAME = 'memories' OR facet IN ('tag', 'current_tag');
      RETURN NULL;
    END $$;

  CREATE OR REPLACE FUNCTION engram_recount_memory_tallies() RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      LOCK TABLE memories IN SHARE ROW EXCLUSIVE MODE;
      PERFORM set_config('engram.tallies_deferred', 'off', true);
      DELETE FROM memory_tally_changes;
      DELETE FROM memory_tallies;
      INSERT INTO memory_tallies (namespace, facet, key, n)
        SELECT namespace, facet, key, count(*) FROM (${everyFacetOf('memories', '1')}) c (namespace, facet, key, n)
        GROUP BY namespace, facet, key;
      INSERT INTO memory_tallies (namespace, facet, key, n)
        SELECT namespace, 'trash', '', count(DISTINCT content_hash) FROM memories WHERE deleted_at IS NOT NULL
        GROUP BY namespace;
    END $$;

  SELECT engram_recount_memory_tallies();
`;
