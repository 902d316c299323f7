import { SqliteDatabase } from '../storage/sqlite.connection';

/** The tables (or their aliases) a plan's steps read: `SCAN x …`, `SEARCH x …`. */
export function tablesRead(steps: readonly string[]): string[] {
  return steps.flatMap((step) => /^(?:SCAN|SEARCH) (\S+)/.exec(step)?.[1] ?? []);
}

/**
 * The statements `work` prepares on the connection, each with its query plan's steps. (Statements are
 * prepared once and cached: `work` runs on a repository of its own.) Every parameter is bound to
 * 'default', which is all a plan needs: SQLite plans without the values.
 */
export function plansOf(db: SqliteDatabase, work: () => unknown): string[][] {
  const prepared: string[] = [];
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    prepared.push(sql);
    return prepare(sql);
  }) as typeof db.prepare;
  try {
    work();
  } finally {
    db.prepare = prepare as typeof db.prepare;
  }
  return prepared.map((sql) => {
    const params = Array.from(sql.matchAll(/\?/g), () => 'default');
    return (prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((row) => row.detail);
  });
}

/** One statement as a repository ran it, with its parameters. */
export interface RunStatement {
  sql: string;
  params: unknown[];
}

/**
 * The statements `work` runs on the connection (`all`, `get`, `run`), in order, with their parameters: a
 * spec then sees the values a plan was chosen for (SQLite's plans themselves do not depend on them).
 * Statements prepared before are not seen: `work` runs on a repository of its own.
 */
export function statementsRunOf(db: SqliteDatabase, work: () => unknown): RunStatement[] {
  const run: RunStatement[] = [];
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    const statement = prepare(sql);
    for (const method of ['all', 'get', 'run'] as const) {
      const call = statement[method].bind(statement) as (...params: unknown[]) => unknown;
      Object.assign(statement, {
        [method]: (...params: unknown[]) => {
          run.push({ sql, params });
          return call(...params);
        },
      });
    }
    return statement;
  }) as typeof db.prepare;
  try {
    work();
  } finally {
    db.prepare = prepare as typeof db.prepare;
  }
  return run;
}
