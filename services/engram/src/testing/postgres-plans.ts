import type { QueryResultRow } from 'pg';
import { EmbeddingModel } from '../storage/embedding-model.binding';
import { PostgresDatabase, Queryable } from '../storage/postgres/postgres.database';
import { openPostgresStores, PostgresStores } from '../storage/postgres/postgres.stores';
import { startTestPostgres } from './postgres-test-server';

/** One statement as an adapter issued it. */
export interface IssuedStatement {
  sql: string;
  params: readonly unknown[];
}

/** A node of PostgreSQL's EXPLAIN (FORMAT JSON) plan, with the fields specs look at. */
export interface PlanNode {
  'Node Type': string;
  'Parent Relationship'?: string;
  'Relation Name'?: string;
  Alias?: string;
  'Index Name'?: string;
  'Scan Direction'?: 'Forward' | 'Backward' | 'NoMovement';
  'Index Cond'?: string;
  'Group Key'?: string[];
  Plans?: PlanNode[];
}

/**
 * The statements `work` issues on the pool, in order, those inside transactions included: a spec then
 * checks the plans of exactly what an adapter sends, not a copy of its SQL.
 */
export async function statementsOf(db: PostgresDatabase, work: () => Promise<unknown>): Promise<IssuedStatement[]> {
  const issued: IssuedStatement[] = [];
  const record = (connection: Queryable): Queryable => ({
    query: <Row extends QueryResultRow>(sql: string, params: readonly unknown[] = []) => {
      issued.push({ sql, params });
      return connection.query<Row>(sql, params);
    },
  });
  const { query, transaction } = db;
  db.query = record({ query: query.bind(db) }).query;
  db.transaction = <T>(inside: (client: Queryable) => Promise<T>) =>
    transaction.call(db, (client) => inside(record(client))) as Promise<T>;
  try {
    await work();
  } finally {
    db.query = query;
    db.transaction = transaction;
  }
  return issued;
}

/** The planner's plan for a statement with its parameters, without running it. */
export async function planOf(db: Queryable, statement: IssuedStatement): Promise<PlanNode> {
  const [row] = await db.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
    `EXPLAIN (FORMAT JSON) ${statement.sql}`,
    statement.params,
  );
  return row['QUERY PLAN'][0].Plan;
}

/** The node and every node below it, depth first (subplans included). */
export function nodesOf(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodesOf)];
}

/** The PostgreSQL stores on a fresh PGlite server, as a plan spec reads them; `close` ends both. */
export async function openPlannedStores(
  model: EmbeddingModel = { modelId: 'test-8', dimension: 8 },
): Promise<PostgresStores> {
  const server = await startTestPostgres();
  const stores = await openPostgresStores({ url: server.url, poolSize: 4, statementTimeoutMs: 30_000 }, model);
  return {
    ...stores,
    close: async () => {
      await stores.close();
      await server.close();
    },
  };
}
