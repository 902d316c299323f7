import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, openSync } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * Writes that must survive a crash of the process and of the machine (a power cut). A file is written
 * under a hidden temporary name in its own folder, put on disk (fsync), renamed over the real name, and
 * the folder is put on disk too, since the rename is only an entry of the folder: no reader, crash or
 * power cut ever finds half a file under the real name, and once this resolves the write is kept.
 * Leftover temporaries (`.<name>.<random>.tmp`, from a crash mid-write) are hidden names, which readers
 * of a folder skip, archives leave out (isDurableTemporary) and the folder's owner removes once abandoned
 * (removeAbandonedTemporaries).
 */
export async function writeFileDurably(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await syncToDisk(dirname(path));
}

/** writeFileDurably's temporary names: `.<name>.<12 hex digits>.tmp`. */
const DURABLE_TEMPORARY = /^\..+\.[0-9a-f]{12}\.tmp$/;

/** Whether a file name is one of writeFileDurably's temporaries: a write in flight, or a crash's leftover. */
export function isDurableTemporary(name: string): boolean {
  return DURABLE_TEMPORARY.test(name);
}

/**
 * A temporary untouched for this long is a crash's leftover, never a write in flight. Its writer may be
 * another process (the worker beside the api, a command) or another node sharing the folder, whose ids
 * mean nothing here, so its age is the only safe sign; a write lasts seconds at most (a memory file well
 * under one, a large vector index a few), and the margin covers clocks of nodes sharing a network folder
 * that disagree by minutes.
 */
export const TEMPORARY_ABANDONED_AFTER_MS = 15 * 60_000;

/** Which temporary files a sweep looks for: by default writeFileDurably's, in every folder under the root. */
export interface TemporarySweep {
  isTemporary?: (name: string) => boolean;
  recursive?: boolean;
  abandonedAfterMs?: number;
}

/**
 * Removes the temporaries under `root` untouched for TEMPORARY_ABANDONED_AFTER_MS, and answers their paths.
 * Younger ones may be another process's writes in flight and are left alone.
 */
export async function removeAbandonedTemporaries(
  root: string,
  {
    isTemporary = isDurableTemporary,
    recursive = true,
    abandonedAfterMs = TEMPORARY_ABANDONED_AFTER_MS,
  }: TemporarySweep = {},
): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true, recursive }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  const removed: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || !isTemporary(entry.name)) continue;
    const path = join(entry.parentPath, entry.name);
    // Gone already (renamed into place, or removed by another process's sweep): nothing to do.
    const info = await lstat(path).catch(() => undefined);
    if (!info || Date.now() - info.mtimeMs < abandonedAfterMs) continue;
    await rm(path, { force: true });
    removed.push(path);
  }
  return removed;
}

/** Puts a file written some other way (a stream) in place under `path` as writeFileDurably does. */
export async function publishFileDurably(written: string, path: string): Promise<void> {
  await syncToDisk(written);
  await rename(written, path);
  await syncToDisk(dirname(path));
}

/** Removes a file for good: the removal is an entry of its folder, so the folder goes to disk after. */
export async function removeFileDurably(path: string): Promise<void> {
  await unlink(path);
  await syncToDisk(dirname(path));
}

/** `mkdir -p` whose new folders are still there after a power cut (each one's parent put on disk). */
export async function makeDirectoryDurably(path: string): Promise<void> {
  const first = await mkdir(path, { recursive: true });
  if (first === undefined) return;
  const top = dirname(resolve(first));
  for (let folder = dirname(resolve(path)); ; folder = dirname(folder)) {
    await syncToDisk(folder);
    if (folder === top || folder === dirname(folder)) return;
  }
}

/** syncToDisk of every file and folder under `root`, the root last: a folder tree written to be renamed into place. */
export async function syncTreeToDisk(root: string): Promise<void> {
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() || entry.isDirectory()) await syncToDisk(join(entry.parentPath, entry.name));
  }
  await syncToDisk(root);
}

/**
 * fsync: a file's bytes, or a folder's entries, reach the disk, not only the page cache. A file system
 * that cannot sync a folder at all (EINVAL, as some network and FUSE mounts answer) is let be, as
 * PostgreSQL does: there is nothing more to ask of it.
 */
export async function syncToDisk(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync().catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EINVAL' || !(await handle.stat()).isDirectory()) throw error;
    });
  } finally {
    await handle.close();
  }
}

/** syncToDisk for code that must not wait on the event loop (a worker thread, a synchronous command). */
export function syncToDiskNow(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EINVAL' || !fstatSync(fd).isDirectory()) throw error;
  } finally {
    closeSync(fd);
  }
}
