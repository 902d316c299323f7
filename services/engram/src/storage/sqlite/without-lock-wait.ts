import { isDatabaseBusy } from '../../common/error-response';
import { PreparedStatements } from '../prepared-statements';

/** What `withoutLockWait` did: `work`'s result, or nothing because another connection held the file. */
export type LockTry<T> = { done: true; result: T } | { done: false };

/**
 * Runs `work` only if no other connection holds the file's lock, without waiting for it: SQLite waits by
 * blocking the thread, and a restore's swap or a reindex switch holds the file for seconds, the event loop
 * stalled all that time. The connection's own busy_timeout is back once it returns.
 */
export function withoutLockWait<T>(statements: PreparedStatements, work: () => T): LockTry<T> {
  // Prepared once each: db.pragma() prepares its statement on every call.
  const busyTimeout = statements.get('PRAGMA busy_timeout').pluck().get() as number;
  statements.get('PRAGMA busy_timeout = 0').run();
  try {
    return { done: true, result: work() };
  } catch (error) {
    if (isDatabaseBusy(error)) return { done: false };
    throw error;
  } finally {
    statements.get(`PRAGMA busy_timeout = ${busyTimeout}`).run();
  }
}
