import { Migration } from './migration';

/** Outside ±8.64e15 ms a JavaScript Date is invalid (no ISO form); text is out of range too. */
const OUT_OF_RANGE = (column: string) => `NOT (typeof(${column}) IN ('integer', 'real') AND abs(${column}) <= 8.64e15)`;

/**
 * Repairs memory times no Date can hold. Builds before this one accepted `created_at: 1e13` (seconds),
 * stored it, and then every list and search of that namespace failed. An unreadable creation time
 * becomes the update time (or the migration's), an unreadable update or deletion time the creation
 * time (or the migration's); the row otherwise stays as it was.
 */
export const timestampRepairMigration: Migration = {
  version: 16,
  name: 'timestamp-repair',
  sql: `
    UPDATE memories SET updated_at = CASE WHEN ${OUT_OF_RANGE('created_at')} THEN unixepoch('now') * 1000 ELSE created_at END
      WHERE ${OUT_OF_RANGE('updated_at')};
    UPDATE memories SET created_at = updated_at WHERE ${OUT_OF_RANGE('created_at')};
    UPDATE memories SET deleted_at = updated_at WHERE deleted_at IS NOT NULL AND ${OUT_OF_RANGE('deleted_at')};
  `,
};
