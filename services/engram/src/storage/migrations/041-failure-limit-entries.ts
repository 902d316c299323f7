import { Migration } from './migration';

/**
 * Failed credentials and metadata fetches counted together by every process opening the file without
 * Redis (sqlite/sqlite-failure-limiter.ts), as PostgreSQL's migration 33: a row per entry under its key's
 * digest, epoch milliseconds on the machine's clock. AUTOINCREMENT so a place given back after its row
 * was swept never deletes a newer entry that took its id.
 */
export const failureLimitEntriesMigration: Migration = {
  version: 41,
  name: 'failure-limit-entries',
  sql: `
    CREATE TABLE failure_limit_entries (
      id         INTEGER PRIMARY KEY AUTOINCREMENT,
      budget     TEXT    NOT NULL,
      key_digest TEXT    NOT NULL,
      counted_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    );
    CREATE INDEX failure_limit_entries_key ON failure_limit_entries (budget, key_digest, counted_at);
    CREATE INDEX failure_limit_entries_expiry ON failure_limit_entries (expires_at);
  `,
};
