import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { byPath, MemoryLimits, memoryFilePath, rootFileName } from './agent-file.rules';
import { AgentFileWorkspace } from './agent-file.store';
import { visibleFilesUnder } from './memory-folder.files';
import { newWorkspaceFolder } from './workspace-folders';

/** One file the run changed, compared by content: `before` undefined when created, `after` when deleted. */
export interface FileChange {
  path: string;
  before: Buffer | undefined;
  after: Buffer | undefined;
}

/**
 * A store's files copied into a new private folder (mode 0700, in this process's folder of workspaces in
 * the OS temporary folder: workspace-folders.ts) for one agent run, for stores that keep no local folder.
 * `save` compares the folder with the copy it started from and hands the differences to `persist` (the
 * store writes them in one transaction, all or none); files the run left alone, or rewrote unchanged, are
 * not written. A run killed before `save` leaves the store as it was. Hidden root files (`.filters`) are
 * copied for the run to read, never saved: the memory functions cannot change them.
 */
export class MaterialisedWorkspace implements AgentFileWorkspace {
  private constructor(
    readonly root: string,
    readonly limits: MemoryLimits,
    private readonly original: ReadonlyMap<string, Buffer>,
    private readonly persist: (changes: FileChange[]) => Promise<void>,
  ) {}

  static async create(
    files: ReadonlyMap<string, Buffer>,
    limits: MemoryLimits,
    persist: (changes: FileChange[]) => Promise<void>,
  ): Promise<MaterialisedWorkspace> {
    const root = await newWorkspaceFolder();
    try {
      for (const [path, content] of files) {
        // Stored paths passed these rules when written; checked again so no row can lead out of the folder.
        const absolute = join(root, path.startsWith('.') ? rootFileName(path) : memoryFilePath(path));
        await mkdir(dirname(absolute), { recursive: true });
        await writeFile(absolute, content, { flag: 'wx' });
      }
    } catch (error) {
      await rm(root, { recursive: true, force: true });
      throw error;
    }
    return new MaterialisedWorkspace(root, limits, files, persist);
  }

  /** What the run changed, sorted by path. */
  changes(): Promise<FileChange[]> {
    return changesSince(this.root, this.original);
  }

  async save(): Promise<void> {
    const changes = await this.changes();
    if (changes.length > 0) await this.persist(changes);
  }

  async close(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

/**
 * How the visible files under `root` differ from `original` (path → content, hidden root files ignored),
 * sorted by path: files created, rewritten with other bytes, or deleted.
 */
export async function changesSince(root: string, original: ReadonlyMap<string, Buffer>): Promise<FileChange[]> {
  const changes: FileChange[] = [];
  const present = new Set<string>();
  for (const file of await visibleFilesUnder(root)) {
    present.add(file.path);
    const after = await readFile(file.absolute);
    const before = original.get(file.path);
    if (!before?.equals(after)) changes.push({ path: file.path, before, after });
  }
  for (const [path, before] of original) {
    if (!path.startsWith('.') && !present.has(path)) changes.push({ path, before, after: undefined });
  }
  return changes.sort(byPath);
}
