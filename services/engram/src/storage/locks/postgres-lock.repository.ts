import { createHash } from 'node:crypto';
import { StoreBusy } from '../../common/domain-errors';
import { PostgresConfig } from '../../config/config.types';
import { pgDriver } from '../postgres/pg-driver';
import { HeldLock, LockMode, LockRepository } from './lock.repository';

/** The first key of every Engram lock ("engl"), so its advisory locks never meet another application's. */
const LOCK_SPACE = 0x656e676c;

/**
 * Locks as PostgreSQL session advisory locks, each on a connection of its own (not from the request
 * pool: a long backup holding a lock must not starve requests, nor wait for a pooled connection). The
 * server releases a lock when its session ends, so a crashed or partitioned holder never leaves one
 * behind: every replica, worker and operator command on any node sees the same locks.
 */
export class PostgresLockRepository implements LockRepository {
  constructor(private readonly settings: PostgresConfig) {}

  async tryAcquire(name: string, mode: LockMode): Promise<HeldLock | undefined> {
    const client = new (pgDriver().Client)({
      connectionString: this.settings.url,
      connectionTimeoutMillis: this.settings.statementTimeoutMs,
      statement_timeout: this.settings.statementTimeoutMs,
    });
    // A dropped connection has already lost its lock; the error must not crash the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch {
      throw new StoreBusy('The database cannot be reached to take a lock; retry shortly');
    }
    try {
      const fn = mode === 'exclusive' ? 'pg_try_advisory_lock' : 'pg_try_advisory_lock_shared';
      const { rows } = await client.query<{ taken: boolean }>(`SELECT ${fn}($1, $2) AS taken`, [
        LOCK_SPACE,
        lockKey(name),
      ]);
      if (rows[0].taken) return { release: once(() => client.end()) };
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    await client.end().catch(() => undefined);
    return undefined;
  }

  /** An advisory lock is a key, not a thing: nothing stays behind. */
  async forget(): Promise<void> {}
}

/**
 * A lock name as the 32-bit second key of the advisory lock. Two names sharing a key (a hash collision)
 * would only make their holders wait for each other: safe, never a lock held twice.
 */
export function lockKey(name: string): number {
  return createHash('sha256').update(name).digest().readInt32BE(0);
}

/** Ending the session drops the lock; a second release does nothing. */
function once(end: () => Promise<void>): () => Promise<void> {
  let ended: Promise<void> | undefined;
  return () => (ended ??= end().catch(() => undefined));
}
