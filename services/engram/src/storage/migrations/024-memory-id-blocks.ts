import { Migration } from './migration';

/** Widens the new row's block to hold its creation time (or adds the block). */
const WIDEN_BLOCK = `INSERT INTO memory_id_blocks (namespace, block, oldest_created, newest_created)
        VALUES (new.namespace, new.id >> 10, new.created_at, new.created_at)
        ON CONFLICT (namespace, block) DO UPDATE SET
          oldest_created = min(oldest_created, excluded.oldest_created),
          newest_created = max(newest_created, excluded.newest_created);`;

/**
 * Where in id order each namespace's memories lie and when they were created: for each block of 1,024
 * ids (id >> 10), the oldest and newest created_at of the namespace's memories in it. Kept by triggers,
 * widened on every insert and on every edit of namespace or creation time, never narrowed, so a block
 * missing from a namespace or a time window holds none of its memories (memory-id-blocks.ts). Deleted
 * memories keep their blocks: the bounds only need to hold every live memory.
 */
export const memoryIdBlocksMigration: Migration = {
  version: 24,
  name: 'memory-id-blocks',
  sql: `
    CREATE TABLE memory_id_blocks (
      namespace      TEXT    NOT NULL,
      block          INTEGER NOT NULL, -- id >> 10
      oldest_created INTEGER NOT NULL, -- epoch ms
      newest_created INTEGER NOT NULL,
      PRIMARY KEY (namespace, block)
    ) WITHOUT ROWID;
    INSERT INTO memory_id_blocks (namespace, block, oldest_created, newest_created)
      SELECT namespace, id >> 10, min(created_at), max(created_at) FROM memories GROUP BY namespace, id >> 10;
    CREATE TRIGGER memory_id_blocks_insert AFTER INSERT ON memories BEGIN
      ${WIDEN_BLOCK}
    END;
    CREATE TRIGGER memory_id_blocks_update AFTER UPDATE OF namespace, created_at ON memories BEGIN
      ${WIDEN_BLOCK}
    END;
  `,
};
