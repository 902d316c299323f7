import type { CustomTypesConfig, Pool, PoolClient, QueryResultRow } from 'pg';
import { StoreBusy } from '../../common/domain-errors';
import { PostgresConfig } from '../../config/config.types';
import { pgDriver } from './pg-driver';

/** Runs one statement and answers its rows: the pool, or one transaction's connection. */
export interface Queryable {
  query<Row extends QueryResultRow>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

/** SQLSTATEs that mean "busy, try again", not "broken": a 503 with a retry, never a 500. */
const BUSY_STATES = new Set([
  '57014', // query_canceled (statement_timeout)
  '55P03', // lock_not_available (lock_timeout)
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '53300', // too_many_connections
]);
const UNIQUE_VIOLATION = '23505';

/** int8 (ids, epoch ms, counts) as numbers: every value Engram stores fits in 2^53. */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pgDriver().types.builtins.INT8
      ? Number
      : pgDriver().types.getTypeParser(oid, format)) as CustomTypesConfig['getTypeParser'],
};

/**
 * A pool of `pg` connections with the two things every adapter needs: a statement and a transaction,
 * both turning exhaustion and lock timeouts into StoreBusy (503 + retry) instead of an internal error.
 */
export class PostgresDatabase implements Queryable {
  readonly pool: Pool;

  constructor(settings: PostgresConfig) {
    this.pool = new (pgDriver().Pool)({
      connectionString: settings.url,
      max: settings.poolSize,
      connectionTimeoutMillis: settings.statementTimeoutMs,
      statement_timeout: settings.statementTimeoutMs,
      lock_timeout: settings.statementTimeoutMs,
      types: TYPES,
    });
    // An idle connection the server dropped must not crash the process; the next checkout reconnects.
    this.pool.on('error', () => undefined);
  }

  async query<Row extends QueryResultRow>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    try {
      return (await this.pool.query<Row>(sql, params as unknown[])).rows;
    } catch (error) {
      throw asBusy(error);
    }
  }

  /** Runs `work` in one transaction on one connection; commits when it resolves, rolls back when it throws. */
  async transaction<T>(work: (client: Queryable) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw asBusy(error);
    }
    const connection: Queryable = {
      query: async <Row extends QueryResultRow>(sql: string, params: readonly unknown[] = []) =>
        (await client.query<Row>(sql, params as unknown[])).rows,
    };
    try {
      await client.query('BEGIN');
      const result = await work(connection);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw asBusy(error);
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

/**
 * Holds the lock `name` for `key` (a namespace, a credential) until the transaction ends, so writers of one
 * key take turns across replicas; the key pair keeps clear of the single-number locks (migrations).
 */
export async function lockKeyForTransaction(tx: Queryable, name: string, key: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [`engram.${name}`, key]);
}

export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === UNIQUE_VIOLATION;
}

function asBusy(error: unknown): unknown {
  const code = (error as { code?: string } | null)?.code;
  if (code !== undefined && BUSY_STATES.has(code)) {
    return new StoreBusy('The database is busy (a statement or lock wait timed out); retry shortly');
  }
  if (error instanceof Error && /timeout exceeded when trying to connect/i.test(error.message)) {
    return new StoreBusy('Every database connection is in use; retry shortly');
  }
  return error;
}

/** SQLite-style `?` placeholders as PostgreSQL's `$n`, numbered from `first`: one filter text serves both. */
export function numbered(sql: string, first = 1): string {
  let next = first;
  return sql.replace(/\?/g, () => `$${next++}`);
}

/** pgvector's text form of a vector. */
export function vectorLiteral(vector: Float32Array): string {
  return `[${Array.from(vector).join(',')}]`;
}
