import { StoreBusy } from '../../common/domain-errors';
import { HeldLock, LockMode, LockRepository } from './lock.repository';
import { NamespaceQueue } from './namespace-queue';

export interface LockWait {
  /**
   * Called when the work has to wait (with what it waits for), then about once a second while it does;
   * throwing (a cancelled job) gives up the wait.
   */
  whileWaiting?(waitingFor: string): Promise<void>;
  /** Give up with StoreBusy (503) after this long; without it the wait lasts as long as it takes. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface LockStep {
  name: string;
  mode: LockMode;
  /** What a conflicting holder is, in an operator's words. */
  heldBy: string;
}

const STORE_SHARED: LockStep = { name: 'store', mode: 'shared', heldBy: 'a restore (or engram migrate-storage)' };
const POLL_FIRST_MS = 20;
const POLL_MAX_MS = 500;
const REPORT_EVERY_MS = 1000;
/** Tries of a claim of the whole store, POLL_FIRST_MS apart, before it is refused. */
const CLAIM_ATTEMPTS = 5;

/** Lock names are lower case; a backup id's T and Z are not. */
const stagingLock = (backupId: string) => `backup-staging-${backupId.toLowerCase()}`;

/** The store is held by other work, so a copy of it (`engram migrate-storage`) does not start. */
export class StoreInUse extends StoreBusy {
  constructor(readonly holder: string) {
    super(`The store is in use by ${holder}; retry once it has finished`);
  }
}

/**
 * What may run at the same time as what, across every process of the deployment:
 *
 * - a restore excludes everything else (it waits for running work; new work waits for it);
 * - so does a copy of the whole store to the other backend (`engram migrate-storage`, on both sides),
 *   which never waits: it is refused while anything else holds the store;
 * - reindexing runs one at a time;
 * - a backup excludes writers of the memory directory while it archives the directory;
 * - agent runs and memory-directory imports write one namespace's folder at a time.
 *
 * Every other combination runs concurrently: the database serialises its own writes. Locks are taken
 * in one order (store, memory-dir, the namespace's folder, reindex), and a waiting exclusive request
 * goes before new shared ones (each lock has a turnstile), so no lock waits forever on its own kind.
 */
export class StoreLocks {
  private readonly namespaces = new NamespaceQueue();

  constructor(private readonly locks: LockRepository) {}

  /** An agent run or an import into the memory directory: writes `namespace`'s folder. */
  writeMemoryDir<T>(namespace: string, work: () => Promise<T>, wait: LockWait = {}): Promise<T> {
    return this.namespaces.run(namespace, () =>
      this.holding(
        [
          STORE_SHARED,
          { name: 'memory-dir', mode: 'shared', heldBy: 'a backup archiving the memory directory' },
          { name: `memory-dir.${namespace}`, mode: 'exclusive', heldBy: `an agent run or import in "${namespace}"` },
        ],
        work,
        wait,
      ),
    );
  }

  /** An import storing memories, or a backup: runs alongside anything but a restore. */
  storeWork<T>(work: () => Promise<T>, wait: LockWait = {}): Promise<T> {
    return this.holding([STORE_SHARED], work, wait);
  }

  /** Copies the memory directory while no one writes it (inside a backup or a restore). */
  archiveMemoryDir<T>(work: () => Promise<T>, wait: LockWait = {}): Promise<T> {
    return this.holding(
      [{ name: 'memory-dir', mode: 'exclusive', heldBy: 'agent runs and imports writing the memory directory' }],
      work,
      wait,
    );
  }

  restore<T>(work: () => Promise<T>, wait: LockWait = {}): Promise<T> {
    return this.holding(
      [
        {
          name: 'store',
          mode: 'exclusive',
          heldBy: 'running backups, imports, reindexing and agent runs (or engram migrate-storage)',
        },
      ],
      work,
      wait,
    );
  }

  /**
   * The whole store, exclusively as a restore holds it, for a copy to or from it (`engram migrate-storage`)
   * until released: work that starts meanwhile waits for it. Taken within a moment or refused with
   * StoreInUse naming what holds the store, as far as the locks tell: an operator moving a store should
   * hear what to wait for (or stop), not queue behind a restore of unknown length. It never waits for a
   * holder, so it needs no turnstile to keep its place.
   */
  async claimWholeStore(): Promise<HeldLock> {
    for (let attempt = 1; ; attempt++) {
      const claimed = await this.locks.tryAcquire('store', 'exclusive');
      if (claimed) return claimed;
      if (attempt === CLAIM_ATTEMPTS) throw new StoreInUse(await this.holderOfStore());
      // A holder of a moment (another process asking what holds the store) is not worth a refusal.
      await new Promise((resolve) => setTimeout(resolve, POLL_FIRST_MS));
    }
  }

  /**
   * Held by the process writing a backup's staging folder for as long as it does: a staging folder whose
   * lock is free was left by a process that stopped (or by a build that took no such lock). The lock is
   * one backup's, so taking it never waits; its name is forgotten once the writing ends.
   */
  async writeStaging<T>(backupId: string, work: () => Promise<T>): Promise<T> {
    const name = stagingLock(backupId);
    const held = await this.locks.tryAcquire(name, 'exclusive');
    if (!held) throw new StoreBusy(`Backup ${backupId} is already being written; retry shortly`);
    try {
      return await work();
    } finally {
      await this.locks.forget(name);
      await held.release();
    }
  }

  /** Whether a process writes that backup's staging folder now. */
  async stagingBeingWritten(backupId: string): Promise<boolean> {
    const held = await this.locks.tryAcquire(stagingLock(backupId), 'exclusive');
    await held?.release();
    return held === undefined;
  }

  /**
   * Runs `work` (removing a backup's staging folder) only while no process writes that folder, holding its
   * lock meanwhile; answers false, without running it, when one does.
   */
  async whileStagingAbandoned(backupId: string, work: () => Promise<void>): Promise<boolean> {
    const name = stagingLock(backupId);
    const held = await this.locks.tryAcquire(name, 'exclusive');
    if (!held) return false;
    try {
      await work();
      await this.locks.forget(name);
    } finally {
      await held.release();
    }
    return true;
  }

  reindex<T>(work: () => Promise<T>, wait: LockWait = {}): Promise<T> {
    return this.holding([STORE_SHARED, { name: 'reindex', mode: 'exclusive', heldBy: 'another reindex' }], work, wait);
  }

  /**
   * What holds the store, from the locks the holders take: the store's exclusive lock is a restore's (or
   * another copy's); a shared holder running a reindex holds the reindex lock too; any other shared holder
   * is a backup, an import or an agent run, which take the store alone.
   */
  private async holderOfStore(): Promise<string> {
    const shared = await this.locks.tryAcquire('store', 'shared');
    if (!shared) return 'a restore (or another engram migrate-storage)';
    try {
      const reindex = await this.locks.tryAcquire('reindex', 'exclusive');
      if (!reindex) return 'a reindex';
      await reindex.release();
      return 'a backup, an import or an agent run';
    } finally {
      await shared.release();
    }
  }

  private async holding<T>(steps: readonly LockStep[], work: () => Promise<T>, wait: LockWait): Promise<T> {
    const deadline = Date.now() + (wait.timeoutMs ?? Infinity);
    const held: HeldLock[] = [];
    try {
      for (const step of steps) held.push(await this.acquire(step, deadline, wait));
      return await work();
    } finally {
      for (const lock of held.reverse()) await lock.release();
    }
  }

  /** Through the turnstile (`<name>.intent`), then the lock itself. */
  private async acquire(step: LockStep, deadline: number, wait: LockWait): Promise<HeldLock> {
    const turnstile = await this.poll({ ...step, name: `${step.name}.intent` }, deadline, wait);
    try {
      return await this.poll(step, deadline, wait);
    } finally {
      await turnstile.release();
    }
  }

  private async poll(step: LockStep, deadline: number, wait: LockWait): Promise<HeldLock> {
    let delay = POLL_FIRST_MS;
    let reported = 0;
    for (;;) {
      const lock = await this.locks.tryAcquire(step.name, step.mode);
      if (lock) return lock;
      if (wait.signal?.aborted) throw wait.signal.reason;
      if (Date.now() >= deadline) {
        throw new StoreBusy(`Waited too long for ${step.heldBy} to finish; retry shortly`);
      }
      if (Date.now() - reported >= REPORT_EVERY_MS) {
        reported = Date.now();
        await wait.whileWaiting?.(step.heldBy);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, Math.max(0, deadline - Date.now()))));
      delay = Math.min(delay * 2, POLL_MAX_MS);
    }
  }
}
