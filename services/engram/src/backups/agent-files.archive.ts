import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DEFAULT_MEMORY_LIMITS, MemoryLimits } from '../storage/agent-file.rules';
import { PostgresAgentFileStore, StoredAgentFile } from '../storage/postgres/postgres-agent-file.store';
import { BackupLeftover } from './backup-leftovers';
import { BackupRepository } from './backup.repository';

/**
 * The agent's markdown memory in a backup: one tar.gz of `<namespace>/<path>` files whichever backend
 * keeps them, so a backup reads the same either way.
 */
export abstract class AgentFilesArchive {
  /** The limits of the memory restored into (agent-file.rules.ts): a restore refuses an archive over them. */
  abstract readonly limits: MemoryLimits;
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
    readonly limits: MemoryLimits = DEFAULT_MEMORY_LIMITS,
  ) {
    super();
  }

  archive(archivePath: string): Promise<boolean> {
    return this.files.archiveDirectory(this.memoryDir, archivePath);
  }

  replace(archivePath: string | undefined): Promise<void> {
    return this.files.replaceDirectory(this.memoryDir, archivePath, this.limits.fileBytes);
  }

  leftovers(): Promise<BackupLeftover[]> {
    return this.files.directoryLeftovers(this.memoryDir);
  }
}

/** The folder, in a backup's staging folder, the files are written to for archiving (gone before it is committed). */
const AGENT_FILES_FOLDER = 'agent-files';

/**
 * The `agent_files` table (PostgreSQL): archived through a folder written beside the archive, inside the
 * backup's staging folder, and replaced in one transaction from the archive read file by file, so a restore's
 * memory does not grow with the archive. Nothing goes to the OS temporary folder: a process killed mid-backup
 * leaves the files in its staging folder, listed and removed as any staging folder is (backup-leftovers.ts),
 * and a restore leaves nothing on disk.
 */
export class DatabaseAgentFilesArchive extends AgentFilesArchive {
  readonly limits: MemoryLimits;

  constructor(
    private readonly store: PostgresAgentFileStore,
    private readonly files: BackupRepository,
  ) {
    super();
    this.limits = store.limits;
  }

  async archive(archivePath: string): Promise<boolean> {
    const folder = join(dirname(archivePath), AGENT_FILES_FOLDER);
    await rm(folder, { recursive: true, force: true });
    try {
      let written = 0;
      for await (const file of this.store.allFiles()) {
        const target = join(folder, file.namespace, ...file.path.split('/'));
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, file.content);
        written++;
      }
      return written > 0 && (await this.files.archiveDirectory(folder, archivePath));
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }

  replace(archivePath: string | undefined): Promise<void> {
    return this.store.replaceAll(archivePath === undefined ? [] : this.storedFiles(archivePath));
  }

  /**
   * The archive's files as stored, one at a time as the store takes them (never the whole archive at once).
   * Each is held whole, as the store writes and journals it in one piece: at most the limit on a file, which
   * a larger one is refused by before it is read.
   */
  private async *storedFiles(archivePath: string): AsyncGenerator<StoredAgentFile> {
    for await (const { path, content } of this.files.archivedFiles(archivePath, this.limits.fileBytes)) {
      const [namespace, ...parts] = path.split('/');
      if (parts.length === 0) continue; // a stray file beside the namespaces belongs to none
      yield { namespace, path: parts.join('/'), content };
    }
  }

  /** Replaced in one transaction: a restore cut short leaves nothing of it. */
  async leftovers(): Promise<BackupLeftover[]> {
    return [];
  }
}
