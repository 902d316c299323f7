import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, openSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * Writes that must survive a crash of the process and of the machine (a power cut). A file is written
 * under a hidden temporary name in its own folder, put on disk (fsync), renamed over the real name, and
 * the folder is put on disk too, since the rename is only an entry of the folder: no reader, crash or
 * power cut ever finds half a file under the real name, and once this resolves the write is kept.
 * Leftover temporaries (`.<name>.<random>.tmp`, from a crash mid-write) are hidden names, which readers
 * of a folder skip.
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
