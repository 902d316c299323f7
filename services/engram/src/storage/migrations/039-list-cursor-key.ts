import { Migration } from './migration';

/**
 * A secret list cursors seal the position they continue from with (memories/list-cursor.ts): the position
 * names a row id, and row ids count the whole store, so a tenant reading them in its own cursors learnt
 * how many memories other namespaces stored and deleted meanwhile. Kept with the store's identity, which
 * a restore keeps, so every replica and every restore agree on it.
 */
export const listCursorKeyMigration: Migration = {
  version: 39,
  name: 'list-cursor-key',
  sql: `
    ALTER TABLE store_identity ADD COLUMN cursor_key TEXT NOT NULL DEFAULT '';
    UPDATE store_identity SET cursor_key = lower(hex(randomblob(32)));
  `,
};
