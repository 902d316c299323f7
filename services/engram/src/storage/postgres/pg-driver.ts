import type * as Pg from 'pg';

let driver: typeof Pg | undefined;

/**
 * The `pg` driver, loaded on first use: a process on SQLite (the default) never pays for it. Required
 * rather than imported so that the adapters, whose constructors need it, stay synchronous.
 */
export function pgDriver(): typeof Pg {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (driver ??= require('pg') as typeof Pg);
}
