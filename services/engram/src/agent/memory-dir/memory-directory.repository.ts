import { Dirent } from 'node:fs';
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { makeDirectoryDurably, removeFileDurably, writeFileDurably } from '../../common/durable-file';
import {
  checkEntryLimit,
  checkWriteLimits,
  DEFAULT_MEMORY_LIMITS,
  EntryMissing,
  memoryEntries,
  MemoryLimits,
  parentOf,
  PathRefused,
} from '../../storage/agent-file.rules';
import { visibleContentsOf, visibleFilesUnder } from '../../storage/memory-folder.files';
import { MemoryPath, resolveMemoryPath, resolveRootFile } from './memory-path';

export type EntryKind = 'file' | 'dir';

/**
 * All file-system I/O of one markdown memory folder: a namespace's own in MEMORY_DIR, or the private copy
 * an agent run works on when the memory lives in the database (AgentFileStore). Every write checks the three size limits
 * and the number of entries (a new folder too), and lands atomically and durably (writeFileDurably: a hidden temporary file in the same folder, fsync,
 * rename, fsync of the folder), so a reader or a crash never sees half a file, and a write, removal or new
 * folder that was acknowledged survives a power cut. Callers serialise writers (NamespaceLock).
 */
export class MemoryDirectoryRepository {
  constructor(
    readonly root: string,
    readonly limits: MemoryLimits = DEFAULT_MEMORY_LIMITS,
  ) {}

  async ensureRoot(): Promise<void> {
    await makeDirectoryDurably(this.root);
  }

  /** A namespace that never had a memory file has no folder yet. */
  async exists(): Promise<boolean> {
    return (await this.kindOf({ relative: '', absolute: this.root })) === 'dir';
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
    await this.refuseFileAncestor(path.relative);
    const { files, entries } = await this.contents();
    checkWriteLimits(files, path.relative, Buffer.byteLength(content, 'utf8'), this.limits);
    checkEntryLimit(entries, path.relative, this.limits);
    await makeDirectoryDurably(dirname(path.absolute));
    await writeFileDurably(path.absolute, content);
    return { created: kind === undefined };
  }

  async removeFile(path: MemoryPath): Promise<void> {
    const kind = await this.kindOf(path);
    if (kind !== 'file') throw new EntryMissing(`file "${path.relative}" does not exist`);
    await removeFileDurably(path.absolute);
  }

  async makeDir(path: MemoryPath): Promise<void> {
    const kind = await this.kindOf(path);
    if (kind === 'file') throw new EntryMissing(`"${path.relative}" is a file`);
    if (kind === undefined) checkEntryLimit((await this.contents()).entries, path.relative, this.limits);
    await makeDirectoryDurably(path.absolute);
  }

  /** Bytes of a file, or of every file under a folder. */
  async sizeOf(path: MemoryPath): Promise<number> {
    const kind = await this.kindOf(path);
    if (kind === undefined) throw new EntryMissing(`No such file or directory: '${path.relative}'`);
    if (kind === 'file') return (await stat(path.absolute)).size;
    let total = 0;
    for (const file of await visibleFilesUnder(path.absolute)) total += file.size;
    return total;
  }

  /** Every visible file under the root: relative path, size and last change, sorted by path. */
  async listFiles(): Promise<{ path: string; size: number; modifiedMs: number }[]> {
    return (await visibleFilesUnder(this.root)).map(({ path, size, modifiedMs }) => ({ path, size, modifiedMs }));
  }

  /** Sorted visible entries of one folder (hidden names and symlinks left out). */
  async entries(absoluteDir: string): Promise<Dirent[]> {
    const entries = await readdir(absoluteDir, { withFileTypes: true });
    return entries
      .filter((entry) => !entry.name.startsWith('.') && (entry.isFile() || entry.isDirectory()))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** A file where the path needs a folder (`notes.md/x.md`) is refused as the database refuses it. */
  private async refuseFileAncestor(relative: string): Promise<void> {
    for (let folder = parentOf(relative); folder !== ''; folder = parentOf(folder)) {
      if ((await this.kindOf(this.resolve(folder))) === 'file')
        throw new EntryMissing(`"${folder}" is a file, not a folder`);
    }
  }

  /**
   * What the limits count: the visible files and the root's own hidden files (`.filters`), and as entries
   * those files and every visible folder, empty ones included.
   */
  private async contents(): Promise<{ files: { path: string; size: number }[]; entries: Set<string> }> {
    const visible = await visibleContentsOf(this.root);
    const files: { path: string; size: number }[] = visible.files;
    for (const entry of await readdir(this.root, { withFileTypes: true })) {
      if (entry.isFile() && entry.name.startsWith('.') && !entry.name.endsWith('.tmp')) {
        files.push({ path: entry.name, size: (await lstat(join(this.root, entry.name))).size });
      }
    }
    return {
      files,
      entries: memoryEntries(
        files.map((file) => file.path),
        visible.folders,
      ),
    };
  }
}
