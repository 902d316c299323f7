import { Migration } from './migration';

/**
 * A random id given to the store when it is created (or first upgraded). Deployments that share a
 * Redis derive their key prefix from it. It is a table of its own, not a setting, because a restore
 * replaces the settings but the restored store is still this deployment.
 */
export const storeIdentityMigration: Migration = {
  version: 17,
  name: 'store-identity',
  sql: `
    CREATE TABLE store_identity (
      singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
      store_id  TEXT NOT NULL
    );
    INSERT INTO store_identity (singleton, store_id) VALUES (1, lower(hex(randomblob(16))));
  `,
};
