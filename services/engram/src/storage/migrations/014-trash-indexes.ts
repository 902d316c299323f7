import { Migration } from './migration';

/**
 * The trash (soft-deleted memories) is listed per namespace, newest deletion first, and looked up by
 * content hash to restore or purge: two partial indexes over deleted rows only, so live reads pay nothing.
 */
export const trashIndexesMigration: Migration = {
  version: 14,
  name: 'trash-indexes',
  sql: `
    CREATE INDEX memories_trash_by_time ON memories (namespace, deleted_at) WHERE deleted_at IS NOT NULL;
    CREATE INDEX memories_trash_by_hash ON memories (namespace, content_hash) WHERE deleted_at IS NOT NULL;
  `,
};
