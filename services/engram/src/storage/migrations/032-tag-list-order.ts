import { countTag } from './030-memory-tallies';
import { Migration } from './migration';

/**
 * Each tag row holds copies of its memory's namespace, creation and deletion times, so a tag's live
 * memories in creation order are a range of memory_tags_live_created (namespace, tag, created_at, memory_id)
 * and a page of a list filtered by tag reads its own rows there (tagged-page.sql.ts). Before, a page read
 * every memory carrying the tag from memory_tags_by_tag, or walked the namespace's memories in creation
 * order until the tag's rows filled it: a page of a 20,000-memory tag cost its 20,000 rows, a page of a
 * 50-memory tag every memory of the namespace. The writer of tag rows copies the values in
 * (MemoryRepository.replaceTags); a trigger keeps them when a memory is deleted, restored or moved. The tag
 * tally's update trigger now fires on changes of the tag or its memory only: the copies are not counted.
 */
export const tagListOrderMigration: Migration = {
  version: 32,
  name: 'tag-list-order',
  sql: `
    DROP TRIGGER memory_tags_tally_update;
    CREATE TRIGGER memory_tags_tally_update AFTER UPDATE OF memory_id, tag ON memory_tags BEGIN
      ${countTag('old', -1)}
      ${countTag('new', 1)}
    END;

    ALTER TABLE memory_tags ADD COLUMN namespace TEXT;
    ALTER TABLE memory_tags ADD COLUMN created_at INTEGER;
    ALTER TABLE memory_tags ADD COLUMN deleted_at INTEGER;
    UPDATE memory_tags SET (namespace, created_at, deleted_at) =
      (SELECT namespace, created_at, deleted_at FROM memories WHERE id = memory_tags.memory_id);
    CREATE INDEX memory_tags_live_created ON memory_tags (namespace, tag, created_at, memory_id)
      WHERE deleted_at IS NULL;

    CREATE TRIGGER memories_tag_copies AFTER UPDATE OF namespace, created_at, deleted_at ON memories BEGIN
      UPDATE memory_tags SET namespace = new.namespace, created_at = new.created_at, deleted_at = new.deleted_at
        WHERE memory_id = new.id;
    END;
  `,
};
