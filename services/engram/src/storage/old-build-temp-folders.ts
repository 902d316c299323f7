import { lstat, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOwnDirectory, WorkspaceSweep } from './workspace-folders';

/**
 * What builds before the owner-locked workspace folders (workspace-folders.ts) left directly in the OS
 * temporary folder when killed mid-task: an agent run's or import's copy of the memory (`engram-memory-`)
 * and a PostgreSQL backup's or restore's agent files (`engram-agent-files-`), each a mkdtemp name (six
 * random characters). No owner lock tells whether their process still runs, so their age does.
 */
const OLD_BUILD_FOLDER = /^engram-(memory|agent-files)-[A-Za-z0-9]{6}$/;

/**
 * Untouched this long, such a folder is abandoned. A day rather than this process's start: during a rolling
 * upgrade an old-build process sharing the temporary folder may have begun its run a moment before this one
 * started. And rather than an hour: an old build's agent run lasts up to 20 model calls of 5 minutes with 3
 * retries each by default (close to 7 hours), a backup's copy minutes. A day late costs little, as these
 * folders stop appearing once no old build runs, and a running api or worker looks again every 10 minutes.
 */
export const OLD_BUILD_FOLDER_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/**
 * Removes the older builds' folders in `parent` (the OS temporary folder) untouched for a day: only this
 * user's, and never a name this build uses. One that cannot be removed does not stop the others.
 */
export async function removeOldBuildTempFolders(parent = tmpdir(), now = Date.now()): Promise<WorkspaceSweep> {
  const sweep: WorkspaceSweep = { removed: [], failed: [] };
  for (const name of await readdir(parent)) {
    const path = join(parent, name);
    if (!OLD_BUILD_FOLDER.test(name) || !(await isOwnDirectory(path))) continue;
    try {
      if (now - (await newestChange(path)) < OLD_BUILD_FOLDER_MAX_AGE_MS) continue;
      await rm(path, { recursive: true, force: true });
      sweep.removed.push(path);
    } catch (error) {
      sweep.failed.push({ path, error: (error as Error).message });
    }
  }
  return sweep;
}

/** The newest change to the folder or anything in it; now when something vanished as it was read (in use). */
async function newestChange(path: string): Promise<number> {
  try {
    const info = await lstat(path);
    if (!info.isDirectory()) return info.mtimeMs;
    const inside = await Promise.all((await readdir(path)).map((name) => newestChange(join(path, name))));
    return inside.reduce((newest, each) => Math.max(newest, each), info.mtimeMs);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Date.now();
    throw error;
  }
}
