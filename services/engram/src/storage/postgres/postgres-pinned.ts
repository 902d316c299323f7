import type { QueryResultRow } from 'pg';
import { PostgresDatabase, Queryable } from './postgres.database';

/**
 * The database as seen from inside one open transaction: every statement an adapter runs, and every
 * transaction it starts (which joins the open one), goes to that transaction's connection. Lets whole
 * adapters read one snapshot (a backup's export) or write into a transaction they do not own (a restore).
 */
export function pinnedTo(db: PostgresDatabase, client: Queryable): PostgresDatabase {
  return {
    pool: db.pool,
    query: <Row extends QueryResultRow>(sql: string, params?: readonly unknown[]) => client.query<Row>(sql, params),
    transaction: <T>(work: (connection: Queryable) => Promise<T>) => work(client),
    close: () => Promise.resolve(),
  };
}
