import {
  byPath,
  checkEntryLimit,
  checkWriteLimits,
  DEFAULT_MEMORY_LIMITS,
  EntryMissing,
  memoryEntries,
  memoryFilePath,
  memoryRelativePath,
  MemoryLimits,
  parentOf,
  rootFileName,
} from '../agent-file.rules';
import { FileActor, FileVersionPage, versionOfChange } from '../agent-file-journal';
import { AgentFileInfo, AgentFileStore, AgentFileWorkspace } from '../agent-file.store';
import { StoreBusy } from '../../common/domain-errors';
import { FileChange, MaterialisedWorkspace } from '../materialised-workspace';
import { PostgresAgentFileJournal } from './postgres-agent-file-journal';
import { lockKeyForTransaction, PostgresDatabase, Queryable } from './postgres.database';

/** One stored file of any namespace, as backups carry them. */
export interface StoredAgentFile {
  namespace: string;
  path: string;
  content: Buffer;
}

/** Files read at once for a backup: 4 MiB with the default limit of 1 MiB on a file. */
const FILES_PER_PAGE = 4;

interface StoredSize {
  path: string;
  size: number;
}

/**
 * AgentFileStore on PostgreSQL (`agent_files`, migration 8), so replicas on different nodes share one
 * memory. Contents are bytes, exactly as written; folders are only the paths of files. A write checks the
 * limits (sizes, and entries: files and the folders their paths make) and the folder shape inside
 * a transaction holding the namespace's advisory lock, so racing writers cannot together exceed them. An
 * agent run gets the files copied into a private temporary folder and its changes written back in one
 * transaction. Each change of a visible file is journaled (agent_file_versions) in the transaction that
 * makes it.
 */
export class PostgresAgentFileStore extends AgentFileStore {
  constructor(
    private readonly db: PostgresDatabase,
    readonly limits: MemoryLimits = DEFAULT_MEMORY_LIMITS,
  ) {
    super();
  }

  async namespaces(): Promise<string[]> {
    const rows = await this.db.query<{ namespace: string }>('SELECT DISTINCT namespace FROM agent_files');
    return rows.map((row) => row.namespace).sort();
  }

  async list(namespace: string): Promise<AgentFileInfo[]> {
    const rows = await this.db.query<{ path: string; size: number; modified_at: number }>(
      `SELECT path, octet_length(content) AS size, modified_at FROM agent_files
        WHERE namespace = $1 AND NOT starts_with(path, '.')`,
      [namespace],
    );
    return rows.map((row) => ({ path: row.path, size: row.size, modifiedMs: row.modified_at })).sort(byPath);
  }

  async read(namespace: string, path: string): Promise<string> {
    const relative = memoryRelativePath(path);
    const content = await this.contentOf(namespace, relative);
    if (content !== undefined) return content.toString('utf8');
    const isFolder = relative === '' || (await this.holdsFolder(namespace, relative));
    throw new EntryMissing(isFolder ? `"${relative}" is a folder, not a file` : `file "${relative}" does not exist`);
  }

  async write(namespace: string, path: string, content: string, actor: FileActor): Promise<{ created: boolean }> {
    return this.writeChecked(namespace, memoryFilePath(path), content, actor);
  }

  async delete(namespace: string, path: string, actor: FileActor): Promise<void> {
    const relative = memoryRelativePath(path);
    await this.db.transaction(async (tx) => {
      const [row] = await tx.query<{ content: Buffer }>(
        'DELETE FROM agent_files WHERE namespace = $1 AND path = $2 RETURNING content',
        [namespace, relative],
      );
      if (!row) throw new EntryMissing(`file "${relative}" does not exist`);
      await journal(tx, namespace, relative, row.content, undefined, actor);
    });
  }

  async history(namespace: string, path: string, page: { limit: number; before?: number }): Promise<FileVersionPage> {
    return new PostgresAgentFileJournal(this.db).history(namespace, memoryFilePath(path), page);
  }

  async version(namespace: string, path: string, id: number) {
    const found = await new PostgresAgentFileJournal(this.db).version(namespace, memoryFilePath(path), id);
    return found && { version: found.version, content: found.content?.toString('utf8') ?? null };
  }

  async readRootFile(namespace: string, name: string): Promise<string | undefined> {
    return (await this.contentOf(namespace, rootFileName(name)))?.toString('utf8');
  }

  async writeRootFile(namespace: string, name: string, content: string): Promise<{ created: boolean }> {
    return this.writeChecked(namespace, rootFileName(name), content, undefined);
  }

  /**
   * Every namespace's files, root files included: what a backup archives. Read a page at a time in (namespace,
   * path) order, so a backup holds a few files, not the memory (the backup's lock keeps them from changing).
   */
  async *allFiles(): AsyncGenerator<StoredAgentFile> {
    let after = ['', ''];
    for (;;) {
      const page = await this.db.query<StoredAgentFile>(
        `SELECT namespace, path, content FROM agent_files WHERE (namespace, path) > ($1, $2)
          ORDER BY namespace, path LIMIT ${FILES_PER_PAGE}`,
        after,
      );
      yield* page;
      if (page.length < FILES_PER_PAGE) return;
      after = [page[page.length - 1].namespace, page[page.length - 1].path];
    }
  }

  /**
   * Makes `files` every namespace's files, in one transaction: what a restore does (journaled as `restore`).
   * They are taken one at a time, each written before the next is asked for, and the files they replace are
   * read one at a time too, so memory holds one file whatever the size of the memory; the transaction
   * undoes every write if `files` fails part-way (a corrupt archive).
   */
  replaceAll(files: AsyncIterable<StoredAgentFile> | Iterable<StoredAgentFile>): Promise<void> {
    return this.db.transaction(async (tx) => {
      const now = Date.now();
      const restored = new Set<string>();
      for await (const { namespace, path, content } of files) {
        const before = await contentIn(tx, namespace, path);
        await upsert(tx, namespace, path, content, now);
        restored.add(fileKey(namespace, path));
        if (!path.startsWith('.')) await journal(tx, namespace, path, before, content, 'restore', now);
      }
      const present = await tx.query<{ namespace: string; path: string }>('SELECT namespace, path FROM agent_files');
      for (const { namespace, path } of present.filter((file) => !restored.has(fileKey(file.namespace, file.path)))) {
        const [gone] = await tx.query<{ content: Buffer }>(
          'DELETE FROM agent_files WHERE namespace = $1 AND path = $2 RETURNING content',
          [namespace, path],
        );
        if (!path.startsWith('.')) await journal(tx, namespace, path, gone.content, undefined, 'restore', now);
      }
    });
  }

  async openWorkspace(namespace: string, actor: FileActor): Promise<AgentFileWorkspace> {
    const rows = await this.db.query<{ path: string; content: Buffer }>(
      'SELECT path, content FROM agent_files WHERE namespace = $1',
      [namespace],
    );
    const files = new Map(rows.map((row) => [row.path, row.content]));
    return MaterialisedWorkspace.create(files, this.limits, (changes) => this.writeBack(namespace, changes, actor));
  }

  /**
   * A run's changes, all or none. Runs of a namespace take turns (StoreLocks), so each file still holds
   * what the run started from; one that does not was written outside the turns, and is not overwritten.
   */
  private writeBack(namespace: string, changes: readonly FileChange[], actor: FileActor): Promise<void> {
    return this.db.transaction(async (tx) => {
      await lockNamespace(tx, namespace);
      const now = Date.now();
      for (const { path, before, after } of changes) {
        const [current] = await tx.query<{ content: Buffer }>(
          'SELECT content FROM agent_files WHERE namespace = $1 AND path = $2',
          [namespace, path],
        );
        if (!sameContent(current?.content, before)) {
          throw new StoreBusy(`The memory file "${path}" changed while the agent ran; its changes were not saved`);
        }
        if (after === undefined) {
          await tx.query('DELETE FROM agent_files WHERE namespace = $1 AND path = $2', [namespace, path]);
        } else {
          await upsert(tx, namespace, memoryFilePath(path), after, now);
        }
        await journal(tx, namespace, path, before, after, actor, now);
      }
    });
  }

  /** `actor` undefined for a hidden root file, which the history leaves out. */
  private writeChecked(
    namespace: string,
    relative: string,
    content: string,
    actor: FileActor | undefined,
  ): Promise<{ created: boolean }> {
    const bytes = Buffer.from(content, 'utf8');
    return this.db.transaction(async (tx) => {
      await lockNamespace(tx, namespace);
      const files = await tx.query<StoredSize>(
        'SELECT path, octet_length(content) AS size FROM agent_files WHERE namespace = $1',
        [namespace],
      );
      refuseFolderClash(files, relative);
      checkWriteLimits(files, relative, bytes.length, this.limits);
      checkEntryLimit(memoryEntries(files.map((file) => file.path)), relative, this.limits);
      const before = actor && (await contentIn(tx, namespace, relative));
      const now = Date.now();
      await upsert(tx, namespace, relative, bytes, now);
      if (actor) await journal(tx, namespace, relative, before, bytes, actor, now);
      return { created: !files.some((file) => file.path === relative) };
    });
  }

  private contentOf(namespace: string, relative: string): Promise<Buffer | undefined> {
    return contentIn(this.db, namespace, relative);
  }

  private async holdsFolder(namespace: string, relative: string): Promise<boolean> {
    const rows = await this.db.query(
      "SELECT 1 FROM agent_files WHERE namespace = $1 AND starts_with(path, $2 || '/') LIMIT 1",
      [namespace, relative],
    );
    return rows.length > 0;
  }
}

/** Folders exist only as the paths of their files: a file cannot be where a folder is, nor inside a file. */
function refuseFolderClash(files: readonly StoredSize[], relative: string): void {
  const paths = new Set(files.map((file) => file.path));
  if (files.some((file) => file.path.startsWith(`${relative}/`))) {
    throw new EntryMissing(`"${relative}" is a folder, not a file`);
  }
  for (let folder = parentOf(relative); folder !== ''; folder = parentOf(folder)) {
    if (paths.has(folder)) throw new EntryMissing(`"${folder}" is a file, not a folder`);
  }
}

function fileKey(namespace: string, path: string): string {
  return JSON.stringify([namespace, path]);
}

function sameContent(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.equals(b);
}

/** Writers of one namespace's files take turns. */
function lockNamespace(tx: Queryable, namespace: string): Promise<void> {
  return lockKeyForTransaction(tx, 'agent_files', namespace);
}

async function contentIn(db: Queryable, namespace: string, relative: string): Promise<Buffer | undefined> {
  const [row] = await db.query<{ content: Buffer }>(
    'SELECT content FROM agent_files WHERE namespace = $1 AND path = $2',
    [namespace, relative],
  );
  return row?.content;
}

/** Journals a change in the transaction that makes it. */
async function journal(
  tx: Queryable,
  namespace: string,
  path: string,
  before: Buffer | undefined,
  after: Buffer | undefined,
  actor: FileActor,
  at = Date.now(),
): Promise<void> {
  const version = versionOfChange(path, before, after, actor, at);
  if (version) await new PostgresAgentFileJournal(tx).append(namespace, version);
}

async function upsert(tx: Queryable, namespace: string, path: string, content: Buffer, now: number): Promise<void> {
  await tx.query(
    `INSERT INTO agent_files (namespace, path, content, modified_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (namespace, path) DO UPDATE SET content = EXCLUDED.content, modified_at = EXCLUDED.modified_at`,
    [namespace, path, content, now],
  );
}
