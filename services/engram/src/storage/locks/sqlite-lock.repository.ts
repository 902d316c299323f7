import Database from 'better-sqlite3';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isDatabaseBusy } from '../../common/error-response';
import { HeldLock, LockMode, LockRepository } from './lock.repository';

const LOCK_NAME = /^[a-z0-9][a-z0-9_.-]{0,127}$/;

/**
 * Locks as SQLite transactions on small lock files beside the database (`<database>-locks/*.lock`):
 * a shared lock is an open read transaction, an exclusive one a `BEGIN EXCLUSIVE`, each on a connection
 * of its own. These are the same POSIX byte-range locks SQLite itself relies on, so they work wherever
 * the database does (processes of one machine, containers sharing a volume), are released by the
 * kernel when a holder dies (no stale lock files, no pid checks across pid namespaces), and need no
 * extra dependency. The lock files never receive a page; they stay empty.
 */
export class SqliteLockRepository implements LockRepository {
  constructor(private readonly folder: string) {
    mkdirSync(folder, { recursive: true });
  }

  async tryAcquire(name: string, mode: LockMode): Promise<HeldLock | undefined> {
    // busy_timeout 0: a conflict answers at once instead of blocking the event loop.
    const connection = new Database(this.fileOf(name), { timeout: 0 });
    try {
      if (mode === 'exclusive') connection.exec('BEGIN EXCLUSIVE');
      else {
        // A read is what takes SQLite's SHARED lock; the open transaction keeps it.
        connection.exec('BEGIN');
        connection.prepare('SELECT count(*) FROM sqlite_master').get();
      }
    } catch (error) {
      connection.close();
      if (isDatabaseBusy(error)) return undefined;
      throw error;
    }
    return {
      release: async () => {
        if (connection.open) connection.close(); // closing ends the transaction and drops the lock
      },
    };
  }

  /** Unlinked while held: a process opening the name later makes a new file, which only the same use takes. */
  async forget(name: string): Promise<void> {
    rmSync(this.fileOf(name), { force: true });
  }

  private fileOf(name: string): string {
    if (!LOCK_NAME.test(name)) throw new Error(`Not a lock name: ${name}`);
    return join(this.folder, `${name}.lock`);
  }
}
