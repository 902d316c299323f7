import type { Statement } from 'better-sqlite3';
import { SqliteDatabase } from './sqlite.connection';

/** Prepares each SQL text once and reuses it: preparing is most of the cost of a small query. */
export class PreparedStatements {
  private readonly cache = new Map<string, Statement>();

  constructor(private readonly db: SqliteDatabase) {}

  get(sql: string): Statement {
    let statement = this.cache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.cache.set(sql, statement);
    }
    return statement;
  }

  /** Forget every statement, e.g. after a table they use was dropped. */
  clear(): void {
    this.cache.clear();
  }
}
