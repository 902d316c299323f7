import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isNamespace } from '../../auth/namespace';
import { AgentFileInfo, AgentFileStore, AgentFileWorkspace } from '../../storage/agent-file.store';
import {
  DEFAULT_MEMORY_LIMITS,
  EntryMissing,
  memoryRelativePath,
  MemoryLimits,
  rootFileName,
} from '../../storage/agent-file.rules';
import { MemoryDirectoryRepository } from './memory-directory.repository';

/**
 * AgentFileStore on the local disk: `<MEMORY_DIR>/<namespace>`, the memory folder as it has always been
 * (the default, and the only choice with SQLite). An agent run works on the folder itself, so its
 * workspace has nothing to save or clean up. It sits beside the folder's repository rather than under
 * storage/ because that repository is the agent's, and storage/ does not import the agent.
 */
export class FolderAgentFileStore extends AgentFileStore {
  constructor(
    private readonly memoryDir: string,
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

  async write(namespace: string, path: string, content: string): Promise<{ created: boolean }> {
    const directory = this.directory(namespace);
    await directory.ensureRoot();
    return directory.writeText(directory.resolve(path), content);
  }

  async delete(namespace: string, path: string): Promise<void> {
    const directory = await this.existing(namespace, path);
    await directory.removeFile(directory.resolve(path));
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

  async openWorkspace(namespace: string): Promise<AgentFileWorkspace> {
    const directory = this.directory(namespace);
    await directory.ensureRoot();
    return { root: directory.root, save: async () => undefined, close: async () => undefined };
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
