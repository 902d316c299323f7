import type { Database, Statement } from 'better-sqlite3';
import { tracedSync } from './spans';
import { tracingActive } from './tracing';

const STATEMENT_METHODS = ['run', 'get', 'all'] as const;

/**
 * With tracing on, every statement the connection runs becomes a span named by its summary ("SELECT
 * memories"), with the operation and table as attributes: never the SQL text or its parameters.
 */
export function traceStatements(db: Database): Database {
  if (!tracingActive()) return db;
  const prepare = db.prepare.bind(db);
  const exec = db.exec.bind(db);
  db.prepare = ((sql: string) => instrument(prepare(sql), summarize(sql))) as Database['prepare'];
  db.exec = (sql: string) => {
    const summary = summarize(sql);
    return tracedSync(`db ${summary.text}`, summary.attributes, () => exec(sql));
  };
  return db;
}

function instrument(statement: Statement, summary: StatementSummary): Statement {
  for (const method of STATEMENT_METHODS) {
    const original = statement[method] as (...args: unknown[]) => unknown;
    // The statement object keeps these methods through pluck()/raw(), which return the same object.
    (statement as unknown as Record<string, unknown>)[method] = function (this: Statement, ...args: unknown[]) {
      return tracedSync(`db ${summary.text}`, summary.attributes, () => original.apply(this, args));
    };
  }
  return statement;
}

interface StatementSummary {
  text: string;
  attributes: Record<string, string>;
}

/** "SELECT memories", "INSERT memory_tags", "BEGIN": the operation and the first table it names. */
export function summarize(sql: string): StatementSummary {
  const operation = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? 'SQL';
  const table = /\b(?:from|into|update|table(?: if (?:not )?exists)?)\s+["`[]?(\w+)/i.exec(sql)?.[1];
  const attributes: Record<string, string> = { 'db.system.name': 'sqlite', 'db.operation.name': operation };
  if (table) attributes['db.collection.name'] = table;
  const text = table ? `${operation} ${table}` : operation;
  return { text, attributes: { ...attributes, 'db.query.summary': text } };
}
