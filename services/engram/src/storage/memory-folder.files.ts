import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { byPath } from './agent-file.rules';

/** A regular file found under a folder. */
export interface FolderFile {
  /** Relative to the folder walked, `/` separators. */
  path: string;
  absolute: string;
  size: number;
  modifiedMs: number;
}

/** What a walk of a memory folder finds: its visible files and folders, relative paths. */
export interface FolderContents {
  /** Sorted by path. */
  files: FolderFile[];
  /** Every visible folder, empty ones included, in walk order. */
  folders: string[];
}

/**
 * Every visible regular file under `folder`, sorted by path. Hidden names are `.filters` and short-lived
 * temporaries, not memory; symlinks are neither followed nor listed.
 */
export async function visibleFilesUnder(folder: string): Promise<FolderFile[]> {
  return (await visibleContentsOf(folder)).files;
}

/** The visible files and folders under `folder`, by the rules of visibleFilesUnder. */
export async function visibleContentsOf(folder: string): Promise<FolderContents> {
  const files: FolderFile[] = [];
  const folders: string[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const absolute = join(dir, entry.name);
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) {
        folders.push(path);
        await walk(absolute, path);
      } else if (entry.isFile()) {
        const info = await lstat(absolute);
        files.push({ path, absolute, size: info.size, modifiedMs: info.mtimeMs });
      }
    }
  };
  await walk(folder, '');
  return { files: files.sort(byPath), folders };
}
