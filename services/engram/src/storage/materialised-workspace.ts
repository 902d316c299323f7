import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { memoryFilePath, rootFileName } from './agent-file.rules';
import { AgentFileWorkspace } from './agent-file.store';
import { visibleFilesUnder } from './memory-folder.files';

/** What a run changed, compared by content: files to write (new or different) and files to remove. */
export interface WorkspaceChanges {
  written: { path: string; content: Buffer }[];
  deleted: string[];
}

/**
 * A store's files copied into a new private folder (mode 0700, under the OS temporary folder) for one
 * agent run, for stores that keep no local folder. `save` compares the folder with the copy it started
 * from and hands the differences to `persist` (the store writes them in one transaction); files the run
 * left alone are not written. Hidden root files (`.filters`) are copied for the run to read, never saved:
 * the memory functions cannot change them.
 */
export class MaterialisedWorkspace implements AgentFileWorkspace {
  private constructor(
    readonly root: string,
    private readonly original: ReadonlyMap<string, Buffer>,
    private readonly persist: (changes: WorkspaceChanges) => Promise<void>,
  ) {}

  static async create(
    files: ReadonlyMap<string, Buffer>,
    persist: (changes: WorkspaceChanges) => Promise<void>,
  ): Promise<MaterialisedWorkspace> {
    const root = await mkdtemp(join(tmpdir(), 'engram-memory-'));
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
    return new MaterialisedWorkspace(root, files, persist);
  }

  async changes(): Promise<WorkspaceChanges> {
    const written: WorkspaceChanges['written'] = [];
    const present = new Set<string>();
    for (const file of await visibleFilesUnder(this.root)) {
      present.add(file.path);
      const content = await readFile(file.absolute);
      if (!this.original.get(file.path)?.equals(content)) written.push({ path: file.path, content });
    }
    const deleted = [...this.original.keys()].filter((path) => !path.startsWith('.') && !present.has(path));
    return { written, deleted };
  }

  async save(): Promise<void> {
    const changes = await this.changes();
    if (changes.written.length > 0 || changes.deleted.length > 0) await this.persist(changes);
  }

  async close(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}
