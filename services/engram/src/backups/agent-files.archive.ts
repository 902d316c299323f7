import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { PostgresAgentFileStore, StoredAgentFile } from '../storage/postgres/postgres-agent-file.store';
import { BackupLeftover } from './backup-leftovers';
import { BackupRepository } from './backup.repository';

/**
 * The agent's markdown memory in a backup: one tar.gz of `<namespace>/<path>` files whichever backend
 * keeps them, so a backup reads the same either way.
 */
export abstract class AgentFilesArchive {
  /** Archives every namespace's files into `archivePath`; false when there is nothing to archive. */
  abstract archive(archivePath: string): Promise<boolean>;
  /** Makes the archive's files every namespace's files (all of them, or none); without one, empties them. */
  abstract replace(archivePath: string | undefined): Promise<void>;
  /** What a restore cut short left of its swap (none where the swap is one transaction). */
  abstract leftovers(): Promise<BackupLeftover[]>;
}

/** MEMORY_DIR on local disk (SQLite deployments): archived as it is, swapped back by renames. */
export class FolderAgentFilesArchive extends AgentFilesArchive {
  constructor(
    private readonly files: BackupRepository,
    private readonly memoryDir: string,
  ) {
    super();
  }

  archive(archivePath: string): Promise<boolean> {
    return this.files.archiveDirectory(this.memoryDir, archivePath);
  }

  replace(archivePath: string | undefined): Promise<void> {
    return this.files.replaceDirectory(this.memoryDir, archivePath);
  }

  leftovers(): Promise<BackupLeftover[]> {
    return this.files.directoryLeftovers(this.memoryDir);
  }
}

/** The `agent_files` table (PostgreSQL): written out through a private folder, replaced in one transaction. */
export class DatabaseAgentFilesArchive extends AgentFilesArchive {
  constructor(
    private readonly store: PostgresAgentFileStore,
    private readonly files: BackupRepository,
  ) {
    super();
  }

  async archive(archivePath: string): Promise<boolean> {
    const stored = await this.store.allFiles();
    if (stored.length === 0) return false;
    return this.throughFolder(async (folder) => {
      for (const file of stored) {
        const target = join(folder, file.namespace, ...file.path.split('/'));
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, file.content);
      }
      return this.files.archiveDirectory(folder, archivePath);
    });
  }

  async replace(archivePath: string | undefined): Promise<void> {
    if (archivePath === undefined) return this.store.replaceAll([]);
    await this.throughFolder(async (folder) => {
      await (await import('tar')).extract({ file: archivePath, cwd: folder, strict: true });
      const files: StoredAgentFile[] = [];
      for (const path of await filesUnder(folder)) {
        const [namespace, ...parts] = relative(folder, path).split(sep);
        if (parts.length === 0) continue; // a stray file beside the namespaces belongs to none
        files.push({ namespace, path: parts.join('/'), content: await readFile(path) });
      }
      await this.store.replaceAll(files);
    });
  }

  /** Replaced in one transaction: a restore cut short leaves nothing of it (its private folder is temporary). */
  async leftovers(): Promise<BackupLeftover[]> {
    return [];
  }

  private async throughFolder<T>(work: (folder: string) => Promise<T>): Promise<T> {
    const folder = await mkdtemp(join(tmpdir(), 'engram-agent-files-'));
    try {
      return await work(folder);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }
}

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}
