import { SqlFragment } from './memory-filter.sql';

/** A row's place in a walk ordered by one time column, ties by id: what a page after it starts from. */
export interface KeysetPosition {
  at: number;
  id: number;
}

/** The columns a walk is ordered by: a time, then an id for the ties. */
export interface KeysetColumns {
  at: string;
  id: string;
}

/** The memories' own columns, as `memories AS m`: the list by creation, the trash by deletion. */
export const BY_CREATION: KeysetColumns = { at: 'm.created_at', id: 'm.id' };
export const BY_DELETION: KeysetColumns = { at: 'm.deleted_at', id: 'm.id' };

/**
 * The condition for the rows after `from` in (`columns.at`, `columns.id`) order, ascending or descending.
 * The bare bound on the time is what a range of an index on (namespace, time, id) starts at; the OR only
 * drops the ties already given. (Both engines: SQLite appends the rowid to every index.)
 */
export function keysetAfter(columns: KeysetColumns, from: KeysetPosition, descending: boolean): SqlFragment {
  const [bound, beyond] = descending ? ['<=', '<'] : ['>=', '>'];
  return {
    sql: `${columns.at} ${bound} ? AND (${columns.at} ${beyond} ? OR ${columns.id} ${beyond} ?)`,
    params: [from.at, from.at, from.id],
  };
}
