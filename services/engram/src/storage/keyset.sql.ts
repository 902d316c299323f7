import { SqlFragment } from './memory-filter.sql';

/** A row's place in a walk ordered by one time column, ties by id: what a page after it starts from. */
export interface KeysetPosition {
  at: number;
  id: number;
}

/**
 * The condition over `memories AS m` for the rows after `from` in (`column`, id) order, ascending or
 * descending. The bare bound on the column is what a range of an index on (namespace, column, id) starts
 * at; the OR only drops the ties already given. (Both engines: SQLite appends the rowid to every index.)
 */
export function keysetAfter(
  column: 'created_at' | 'deleted_at',
  from: KeysetPosition,
  descending: boolean,
): SqlFragment {
  const [bound, beyond] = descending ? ['<=', '<'] : ['>=', '>'];
  return {
    sql: `m.${column} ${bound} ? AND (m.${column} ${beyond} ? OR m.id ${beyond} ?)`,
    params: [from.at, from.at, from.id],
  };
}
