/**
 * Inserts tag rows, $1 their memories' ids and $2 the tags (arrays of one length), each with copies of its
 * memory's namespace and times (migration 24). Every writer of tag rows inserts them through this.
 */
export const INSERT_TAGS = `INSERT INTO memory_tags (memory_id, tag, namespace, created_at, deleted_at)
  SELECT u.memory_id, u.tag, m.namespace, m.created_at, m.deleted_at
  FROM unnest($1::bigint[], $2::text[]) AS u (memory_id, tag) JOIN memories m ON m.id = u.memory_id
  ON CONFLICT DO NOTHING`;

/**
 * PostgreSQL migration 24, SQLite's 032: each tag row holds copies of its memory's namespace, creation and
 * deletion times, so a tag's live memories in creation order are a range of memory_tags_live_created and a
 * page of a list filtered by tag reads its own rows there (tagged-page.sql.ts). Before, a page walked the
 * namespace's memories in creation order checking each one's tags, and all of several tags read and sorted
 * every memory carrying them. Writers copy the values in (INSERT_TAGS); a row trigger keeps them when a
 * memory is deleted, restored or moved. Filling the copies changes no tally: the tally triggers are set
 * aside for it (migration 21's setting, this transaction only).
 */
export const POSTGRES_TAG_LIST_ORDER = `
  ALTER TABLE memory_tags ADD COLUMN namespace text, ADD COLUMN created_at bigint, ADD COLUMN deleted_at bigint;
  SELECT set_config('engram.tallies_deferred', 'on', true);
  UPDATE memory_tags t SET namespace = m.namespace, created_at = m.created_at, deleted_at = m.deleted_at
    FROM memories m WHERE m.id = t.memory_id;
  SELECT set_config('engram.tallies_deferred', 'off', true);
  ALTER TABLE memory_tags ALTER COLUMN namespace SET NOT NULL, ALTER COLUMN created_at SET NOT NULL;
  CREATE INDEX memory_tags_live_created ON memory_tags (namespace, tag, created_at, memory_id)
    WHERE deleted_at IS NULL;

  CREATE FUNCTION engram_copy_memory_to_tags() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE memory_tags SET namespace = NEW.namespace, created_at = NEW.created_at, deleted_at = NEW.deleted_at
        WHERE memory_id = NEW.id;
      RETURN NULL;
    END $$;
  CREATE TRIGGER memories_tag_copies AFTER UPDATE OF namespace, created_at, deleted_at ON memories FOR EACH ROW
    WHEN (OLD.namespace IS DISTINCT FROM NEW.namespace OR OLD.created_at IS DISTINCT FROM NEW.created_at
      OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION engram_copy_memory_to_tags();
`;
