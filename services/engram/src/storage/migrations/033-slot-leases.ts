import { Migration } from './migration';

/**
 * Semaphores the processes opening one file share, such as the conflict judge's slots when `engram serve`
 * and `engram mcp` (stdio) run on the same database (sqlite/sqlite-slot-leases.ts): a row per ticket in
 * line, its place the rowid (a new row's rowid is above every row's in the table, so places follow the
 * claims), and a row per process with its own limit. Times are epoch milliseconds.
 */
export const slotLeasesMigration: Migration = {
  version: 33,
  name: 'slot-leases',
  sql: `
    CREATE TABLE slot_leases (
      place      INTEGER PRIMARY KEY,
      semaphore  TEXT NOT NULL,
      ticket     TEXT NOT NULL,
      expires_at INTEGER NOT NULL,
      UNIQUE (semaphore, ticket)
    );
    CREATE TABLE slot_members (
      semaphore  TEXT NOT NULL,
      member     TEXT NOT NULL,
      slot_limit INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      PRIMARY KEY (semaphore, member)
    ) WITHOUT ROWID;
  `,
};
