import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isNamespace } from '../../auth/namespace';
import { removeAbandonedTemporaries } from '../../common/durable-file';
import {
  AgentFileJournal,
  contentDigest,
  FileActor,
  FileVersionKind,
  FileVersionPage,
  versionOfChange,
} from '../../storage/agent-file-journal';
import { AgentFileInfo, AgentFileStore, AgentFileWorkspace } from '../../storage/agent-file.store';
import {
  DEFAULT_MEMORY_LIMITS,
  EntryMissing,
  memoryFilePath,
  memoryRelativePath,
  MemoryLimits,
  rootFileName,
} from '../../storage/agent-file.rules';
import { changesSince } from '../../storage/materialised-workspace';
import { MemoryDirectoryRepository } from './memory-directory.repository';

/**
 * AgentFileStore on the local disk: `<MEMORY_DIR>/<namespace>`, the memory folder as it has always been
 * (the default, and the only choice with SQLite). An agent run works on the folder itself; its
 * workspace remembers the files it started from, so `save` can journal what the run changed. The journal
 * lives in the SQLite database; edits made on disk outside the service are journaled by
 * `recordHandEdits` (the folder watcher calls it). It sits beside the folder's repository rather than
 * under storage/ because that repository is the agent's, and storage/ does not import the agent.
 */
export class FolderAgentFileStore extends AgentFileStore {
  constructor(
    readonly memoryDir: string,
    private readonly journal: AgentFileJournal,
    private readonly limits: MemoryLimits = DEFAULT_MEMORY_LIMITS,
  ) {
    super();
  }

  async namespaces(): Promise<string[]> {
    const entries = await readdir(this.memoryDir, { withFileTypes: true }).catch(() => []);
    return entries
      .filter((entry) => entry.isDirectory() && isNamespace(entry.name))
      .map((entry) => entry.name)
      .sort();
  }

  async list(namespace: string): Promise<AgentFileInfo[]> {
    const directory = this.directory(namespace);
    return (await directory.exists()) ? directory.listFiles() : [];
  }

  async read(namespace: string, path: string): Promise<string> {
    const directory = await this.existing(namespace, path);
    return directory.readText(directory.resolve(path));
  }

  async write(namespace: string, path: string, content: string, actor: FileActor): Promise<{ created: boolean }> {
    const directory = this.directory(namespace);
    await directory.ensureRoot();
    const target = directory.resolve(path);
    const before = await this.bytesOf(namespace, target.relative);
    const written = await directory.writeText(target, content);
    await this.record(namespace, target.relative, before, Buffer.from(content, 'utf8'), actor);
    return written;
  }

  async delete(namespace: string, path: string, actor: FileActor): Promise<void> {
    const directory = await this.existing(namespace, path);
    const target = directory.resolve(path);
    const before = await this.bytesOf(namespace, target.relative);
    await directory.removeFile(target);
    await this.record(namespace, target.relative, before, undefined, actor);
  }

  async history(namespace: string, path: string, page: { limit: number; before?: number }): Promise<FileVersionPage> {
    return this.journal.history(namespace, memoryFilePath(path), page);
  }

  async version(namespace: string, path: string, id: number) {
    const found = await this.journal.version(namespace, memoryFilePath(path), id);
    return found && { version: found.version, content: found.content?.toString('utf8') ?? null };
  }

  /**
   * Journals, as hand edits, how the folder differs from the newest version of each file: files edited,
   * added or removed on disk outside the service. Answers what changed, for search. The service's own
   * writes are journaled as they are made, so they match their newest version and are passed over.
   */
  async recordHandEdits(namespace: string): Promise<Map<string, FileVersionKind>> {
    const heads = await this.journal.heads(namespace);
    const onDisk = (await this.list(namespace)).map((file) => file.path);
    const journaled = [...heads].filter(([, digest]) => digest !== null).map(([path]) => path);
    const changed = new Map<string, FileVersionKind>();
    for (const path of new Set([...onDisk, ...journaled])) {
      const content = await this.bytesOf(namespace, path);
      const digest = content === undefined ? null : contentDigest(content);
      if (heads.has(path) && heads.get(path) === digest) continue;
      const kind = await this.record(namespace, path, await this.newest(namespace, path), content, 'hand_edit');
      if (kind) changed.set(path, kind);
    }
    return changed;
  }

  async readRootFile(namespace: string, name: string): Promise<string | undefined> {
    const directory = this.directory(namespace);
    if (!(await directory.exists())) {
      rootFileName(name);
      return undefined;
    }
    const file = directory.rootFile(name);
    return (await directory.kindOf(file)) === 'file' ? directory.readText(file) : undefined;
  }

  async writeRootFile(namespace: string, name: string, content: string): Promise<{ created: boolean }> {
    const directory = this.directory(namespace);
    await directory.ensureRoot();
    return directory.writeText(directory.rootFile(name), content);
  }

  /** Removes the temporary files writers that crashed mid-write left in any namespace; answers how many. */
  async removeCrashLeftovers(): Promise<number> {
    return (await removeAbandonedTemporaries(this.memoryDir)).length;
  }

  async openWorkspace(namespace: string, actor: FileActor): Promise<AgentFileWorkspace> {
    const directory = this.directory(namespace);
    await directory.ensureRoot();
    const original = new Map<string, Buffer>();
    for (const file of await directory.listFiles())
      original.set(file.path, await readFile(join(directory.root, file.path)));
    const save = async () => {
      for (const { path, before, after } of await changesSince(directory.root, original)) {
        await this.record(namespace, path, before, after, actor);
      }
    };
    return { root: directory.root, limits: this.limits, save, close: async () => undefined };
  }

  private async record(
    namespace: string,
    path: string,
    before: Buffer | undefined,
    after: Buffer | undefined,
    actor: FileActor,
  ): Promise<FileVersionKind | undefined> {
    const version = versionOfChange(path, before, after, actor);
    if (version) await this.journal.append(namespace, version);
    return version?.kind;
  }

  /** A visible file's bytes; undefined when there is none (or a folder is there). */
  private async bytesOf(namespace: string, relative: string): Promise<Buffer | undefined> {
    return readFile(join(this.memoryDir, namespace, relative)).catch(() => undefined);
  }

  /** The newest journaled content of a file; undefined when none is journaled or it was deleted. */
  private async newest(namespace: string, path: string): Promise<Buffer | undefined> {
    const [head] = (await this.journal.history(namespace, path, { limit: 1 })).versions;
    const found = head && (await this.journal.version(namespace, path, head.id));
    return found?.content ?? undefined;
  }

  private directory(namespace: string): MemoryDirectoryRepository {
    return new MemoryDirectoryRepository(join(this.memoryDir, namespace), this.limits);
  }

  /** The namespace's folder; when it was never created, the path is still checked, then reported missing. */
  private async existing(namespace: string, path: string): Promise<MemoryDirectoryRepository> {
    const directory = this.directory(namespace);
    if (await directory.exists()) return directory;
    throw new EntryMissing(`file "${memoryRelativePath(path)}" does not exist`);
  }
}
