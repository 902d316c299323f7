import { randomBytes } from 'node:crypto';
import { Dirent } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { MemoryPath, PathRefused, resolveMemoryPath, resolveRootFile } from './memory-path';

const MIB = 1024 * 1024;

/** Size limits of one memory directory, in bytes (the reference's 1 MiB / 10 MiB / 100 MiB). */
export interface MemoryLimits {
  fileBytes: number;
  /** Files directly inside one folder, together. */
  directoryBytes: number;
  /** The whole memory, every folder included. */
  memoryBytes: number;
}

export const DEFAULT_MEMORY_LIMITS: MemoryLimits = { fileBytes: MIB, directoryBytes: 10 * MIB, memoryBytes: 100 * MIB };

/** A write the limits refuse; the message is safe to show to the model. */
export class LimitExceeded extends Error {}

/** Asked for something that is not there (or is a folder where a file was expected, and so on). */
export class EntryMissing extends Error {}

export type EntryKind = 'file' | 'dir';

/** The memory directory of one namespace: `<MEMORY_DIR>/<namespace>`. */
export function namespaceDirectory(memoryDir: string, namespace: string): MemoryDirectoryRepository {
  return new MemoryDirectoryRepository(join(memoryDir, namespace));
}

/**
 * All file-system I/O of one namespace's markdown memory. Every write checks the three size limits
 * and lands atomically (a hidden temporary file in the same folder, then rename), so a reader or a
 * crash never sees half a file. Callers serialise writers (NamespaceLock).
 */
export class MemoryDirectoryRepository {
  constructor(
    readonly root: string,
    readonly limits: MemoryLimits = DEFAULT_MEMORY_LIMITS,
  ) {}

  async ensureRoot(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }

  resolve(path: unknown): MemoryPath {
    return resolveMemoryPath(this.root, path);
  }

  /** A hidden file of the root (`.filters`): not part of the memory the model browses. */
  rootFile(name: string): MemoryPath {
    return resolveRootFile(this.root, name);
  }

  async kindOf(path: MemoryPath): Promise<EntryKind | undefined> {
    try {
      const info = await stat(path.absolute);
      if (info.isFile()) return 'file';
      return info.isDirectory() ? 'dir' : undefined;
    } catch {
      return undefined;
    }
  }

  async readText(path: MemoryPath): Promise<string> {
    const kind = await this.kindOf(path);
    if (kind === undefined) throw new EntryMissing(`file "${path.relative}" does not exist`);
    if (kind === 'dir') throw new EntryMissing(`"${path.relative}" is a folder, not a file`);
    return readFile(path.absolute, 'utf8');
  }

  /** Creates or replaces a file (parent folders included); `created` is false when it replaced one. */
  async writeText(path: MemoryPath, content: string): Promise<{ created: boolean }> {
    if (path.relative === '') throw new PathRefused('a file path is required');
    const kind = await this.kindOf(path);
    if (kind === 'dir') throw new EntryMissing(`"${path.relative}" is a folder, not a file`);
    await this.checkLimits(path, Buffer.byteLength(content, 'utf8'));
    await mkdir(dirname(path.absolute), { recursive: true });
    const temporary = join(dirname(path.absolute), `.${basename(path.absolute)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFile(temporary, content, { encoding: 'utf8', flag: 'wx' });
      await rename(temporary, path.absolute);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    return { created: kind === undefined };
  }

  async removeFile(path: MemoryPath): Promise<void> {
    const kind = await this.kindOf(path);
    if (kind !== 'file') throw new EntryMissing(`file "${path.relative}" does not exist`);
    await unlink(path.absolute);
  }

  async makeDir(path: MemoryPath): Promise<void> {
    if ((await this.kindOf(path)) === 'file') throw new EntryMissing(`"${path.relative}" is a file`);
    await mkdir(path.absolute, { recursive: true });
  }

  /** Bytes of a file, or of every file under a folder. */
  async sizeOf(path: MemoryPath): Promise<number> {
    const kind = await this.kindOf(path);
    if (kind === undefined) throw new EntryMissing(`No such file or directory: '${path.relative}'`);
    if (kind === 'file') return (await stat(path.absolute)).size;
    let total = 0;
    for (const file of await this.filesUnder(path.absolute)) total += file.size;
    return total;
  }

  /** Every visible file under the root: relative path, size and last change, sorted by path. */
  async listFiles(): Promise<{ path: string; size: number; modifiedMs: number }[]> {
    const files = await this.filesUnder(this.root);
    return files
      .map((file) => ({
        path: file.absolute
          .slice(this.root.length + 1)
          .split('\\')
          .join('/'),
        size: file.size,
        modifiedMs: file.modifiedMs,
      }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Sorted visible entries of one folder (hidden names and symlinks left out). */
  async entries(absoluteDir: string): Promise<Dirent[]> {
    const entries = await readdir(absoluteDir, { withFileTypes: true });
    return entries
      .filter((entry) => !entry.name.startsWith('.') && (entry.isFile() || entry.isDirectory()))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private async checkLimits(path: MemoryPath, newBytes: number): Promise<void> {
    const { fileBytes, directoryBytes, memoryBytes } = this.limits;
    if (newBytes > fileBytes) {
      throw new LimitExceeded(`the content is ${newBytes} bytes; a file holds at most ${fileBytes} bytes`);
    }
    const oldBytes = await this.existingSize(path.absolute);
    const folder = dirname(path.absolute);
    const folderBytes = (await this.directFilesSize(folder)) - oldBytes + newBytes;
    if (folderBytes > directoryBytes) {
      throw new LimitExceeded(
        `the folder would hold ${folderBytes} bytes; a folder holds at most ${directoryBytes} bytes`,
      );
    }
    const totalBytes = (await this.sizeOf({ relative: '', absolute: this.root })) - oldBytes + newBytes;
    if (totalBytes > memoryBytes) {
      throw new LimitExceeded(`the memory would hold ${totalBytes} bytes; it holds at most ${memoryBytes} bytes`);
    }
  }

  private async existingSize(absolute: string): Promise<number> {
    try {
      const info = await lstat(absolute);
      return info.isFile() ? info.size : 0;
    } catch {
      return 0;
    }
  }

  private async directFilesSize(folder: string): Promise<number> {
    let entries: Dirent[];
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      return 0;
    }
    let total = 0;
    for (const entry of entries) if (entry.isFile()) total += (await lstat(join(folder, entry.name))).size;
    return total;
  }

  /** Visible files only: hidden ones are `.filters` and short-lived temporaries, not memory. */
  private async filesUnder(folder: string): Promise<{ absolute: string; size: number; modifiedMs: number }[]> {
    const found: { absolute: string; size: number; modifiedMs: number }[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        if (entry.name.startsWith('.')) continue;
        const absolute = join(dir, entry.name);
        if (entry.isDirectory()) await walk(absolute);
        else if (entry.isFile()) {
          const info = await lstat(absolute);
          found.push({ absolute, size: info.size, modifiedMs: info.mtimeMs });
        }
      }
    };
    await walk(folder);
    return found;
  }
}
