import { existsSync, rmSync } from 'node:fs';
import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeldLock } from './locks/lock.repository';
import { SqliteLockRepository } from './locks/sqlite-lock.repository';

/**
 * Where agent workspaces (MaterialisedWorkspace) live: each process keeps them in a folder of its own in
 * the OS temporary folder, `engram-workspaces-<pid>-<6 random>` (mode 0700), and holds the lock file
 * `owner.lock` in it exclusive for its lifetime. The lock is a kernel file lock (SqliteLockRepository), so
 * it dies with the process however it ends, and it holds across every process sharing the folder, in
 * containers too, where a pid means nothing. A folder whose lock can be taken belongs to a process that
 * is gone: removeAbandonedWorkspaceFolders removes it. A process that exits removes its own.
 */
const FOLDER_PREFIX = 'engram-workspaces-';
const FOLDER_NAME = /^engram-workspaces-\d+-[A-Za-z0-9]{6}$/;
const OWNER_LOCK = 'owner';
/** A sweep in another process wins the race for a folder being made only by rare chance; thrice is no chance. */
const CLAIM_ATTEMPTS = 3;

interface OwnFolder {
  path: string;
  lock: HeldLock;
}

let own: Promise<OwnFolder> | undefined;
let ownPath: string | undefined;

/** A new private folder (mode 0700) for one workspace, inside this process's own folder. */
export async function newWorkspaceFolder(): Promise<string> {
  const claimed = ownFolder();
  const folder = await claimed;
  try {
    return await mkdtemp(join(folder.path, 'engram-memory-'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    // Removed under this process (by hand, or by a cleaner of old files in /tmp): claim another.
    if (own === claimed) {
      own = undefined;
      await folder.lock.release();
    }
    return mkdtemp(join((await ownFolder()).path, 'engram-memory-'));
  }
}

/** This process's folder, claimed with its first workspace; a claim that failed is tried again by the next. */
function ownFolder(): Promise<OwnFolder> {
  own ??= claimOwnFolder().catch((error: unknown) => {
    own = undefined;
    throw error;
  });
  return own;
}

async function claimOwnFolder(): Promise<OwnFolder> {
  for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
    const path = await mkdtemp(join(tmpdir(), `${FOLDER_PREFIX}${process.pid}-`));
    ownPath = path;
    const lock = await new SqliteLockRepository(path).tryAcquire(OWNER_LOCK, 'exclusive');
    // Another process's sweep can take the lock of a folder this young first and remove the folder.
    if (lock && existsSync(join(path, `${OWNER_LOCK}.lock`))) {
      // The kernel drops the lock at exit; the folder goes with a normal exit, else with the next sweep.
      process.once('exit', () => rmSync(path, { recursive: true, force: true }));
      return { path, lock };
    }
    await lock?.release();
  }
  throw new Error(`No workspace folder could be locked in ${tmpdir()}: removed by other processes as it was made`);
}

/** What one sweep did: folders removed, and those it found abandoned but could not remove. */
export interface WorkspaceSweep {
  removed: string[];
  failed: { path: string; error: string }[];
}

/**
 * Removes the workspace folders in `parent` (the OS temporary folder) of processes that are gone: a
 * process killed mid-run (SIGKILL, out of memory) leaves its folder and every workspace in it. Only this
 * user's folders are looked at, never this process's own, and only those whose owner lock can be taken;
 * the lock is held while the folder is removed, so no process can claim it meanwhile. One that cannot be
 * removed does not stop the others.
 */
export async function removeAbandonedWorkspaceFolders(parent = tmpdir()): Promise<WorkspaceSweep> {
  const sweep: WorkspaceSweep = { removed: [], failed: [] };
  for (const name of await readdir(parent)) {
    const path = join(parent, name);
    if (!FOLDER_NAME.test(name) || path === ownPath || !(await isOwnDirectory(path))) continue;
    try {
      if (await removeIfAbandoned(path)) sweep.removed.push(path);
    } catch (error) {
      sweep.failed.push({ path, error: (error as Error).message });
    }
  }
  return sweep;
}

/** Removes the folder when its owner lock can be taken (its process is gone); false when it is held. */
async function removeIfAbandoned(path: string): Promise<boolean> {
  const abandoned = await new SqliteLockRepository(path).tryAcquire(OWNER_LOCK, 'exclusive');
  if (!abandoned) return false;
  try {
    await rm(path, { recursive: true, force: true });
    return true;
  } finally {
    await abandoned.release();
  }
}

/** A folder of this process's user (another user's is not ours to judge, nor to remove). */
export async function isOwnDirectory(path: string): Promise<boolean> {
  const info = await lstat(path).catch(() => undefined);
  return info !== undefined && info.isDirectory() && info.uid === process.getuid?.();
}
