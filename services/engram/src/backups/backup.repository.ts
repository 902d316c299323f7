import { on } from 'node:events';
import { createReadStream, existsSync } from 'node:fs';
import { cp, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { isDurableTemporary, syncToDisk, syncTreeToDisk } from '../common/durable-file';
import { BACKUP_ID_PATTERN, BackupManifest, BackupReason, MANIFEST_FILE, StoredBackup } from './backup-manifest';
import { AgentFileTooLarge, ArchivedFileSize, ArchivedMemoryProblem, BackupCorrupted } from './backup.errors';
import { MemoryLimits } from '../storage/agent-file.rules';
import {
  climbsOut,
  EntryHeader,
  FILE_ENTRY_TYPES,
  oversized,
  scanArchivedMemory,
  TALLY_BUDGET_BYTES,
} from './archived-memory-scan';
import { EntrySpillFile } from './entry-spill.file';
import { BackupLeftover, isRestoreScratch, memoryDirCopyKind, parseStagingName, stagingName } from './backup-leftovers';
import { runInSqliteThread } from '../storage/sqlite-file/sqlite-file.tasks';
import type { ReadEntry } from 'tar';

/**
 * How much of a compressed archive is read at a time (tar's default is 16 MiB). A read is decompressed and
 * parsed whole before the parser can pause, so this bounds what a restore holds at once beyond the file it
 * hands over: a few times this for text, at most 1000 times, past which tar refuses the archive as a bomb.
 */
const ARCHIVE_READ_BYTES = 16 * 1024;

/** One regular file of an archive: its path in it and its bytes. */
export interface ArchivedFile {
  path: string;
  content: Buffer;
}

/**
 * Backups on disk: one folder per backup (`<backups>/<id>/`) holding the database copy, the memory
 * directory archive and the manifest. A backup is assembled in a staging folder and renamed into place
 * in one step, so a backup folder without a sound manifest was damaged afterwards: it is listed as corrupt.
 */
export class BackupRepository {
  constructor(
    readonly root: string,
    /** About how much a restore's scan of a memory archive holds at once (scanArchivedMemory). */
    private readonly tallyBudgetBytes = TALLY_BUDGET_BYTES,
  ) {}

  /**
   * A fresh, empty staging folder for the backup (removed with `discard` if anything fails), named with
   * why it is taken: a crash's leftover then tells whether it may hold a restore's replaced state.
   */
  async stage(id: string, reason: BackupReason): Promise<string> {
    const dir = join(this.root, stagingName(id, reason));
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /**
   * Writes the manifest last, then renames the staging folder to its final name. Every file, the folder
   * and then the rename are on disk (fsync) before this resolves: the backup is reported done and older
   * ones are pruned next, so a power cut must not leave a named backup whose bytes were still in memory.
   */
  async commit(stagingDir: string, manifest: BackupManifest): Promise<void> {
    await writeFile(join(stagingDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    await syncTreeToDisk(stagingDir);
    await rename(stagingDir, this.dirOf(manifest.id));
    await syncToDisk(this.root);
  }

  async discard(stagingDir: string): Promise<void> {
    await rm(stagingDir, { recursive: true, force: true });
  }

  /** Every backup folder, newest first: sound ones with their manifest, corrupt ones with their problem. */
  async list(): Promise<StoredBackup[]> {
    if (!existsSync(this.root)) return [];
    const names = (await readdir(this.root)).filter((name) => BACKUP_ID_PATTERN.test(name));
    const backups = await Promise.all(names.map((id) => this.read(id)));
    return backups
      .filter((backup): backup is StoredBackup => backup !== undefined)
      .sort((a, b) => b.id.localeCompare(a.id));
  }

  /** The backup of that id, or undefined when there is no such folder (or it was just pruned). */
  async read(id: string): Promise<StoredBackup | undefined> {
    if (!BACKUP_ID_PATTERN.test(id)) return undefined;
    const manifest = await this.readManifest(id);
    if (typeof manifest !== 'string') return { id, state: 'ok', manifest };
    const found = await footprint(this.dirOf(id));
    return found === undefined ? undefined : { id, state: 'corrupt', problem: manifest, bytes: found.bytes };
  }

  async remove(id: string): Promise<void> {
    if (!BACKUP_ID_PATTERN.test(id)) throw new Error(`Not a backup id: ${id}`);
    await rm(this.dirOf(id), { recursive: true, force: true });
  }

  /** The staging folders in the backups folder, each a backup cut short unless one is being written now. */
  async stagingLeftovers(): Promise<BackupLeftover[]> {
    const found = await Promise.all(
      (await namesIn(this.root)).map(async (name) => {
        const staging = parseStagingName(name);
        if (!staging) return undefined;
        return leftoverAt(join(this.root, name), { kind: 'staging', ...staging });
      }),
    );
    return found.filter((leftover) => leftover !== undefined);
  }

  /** The copies of `dir` a restore's swap (replaceDirectory) left beside it when it stopped half-way. */
  async directoryLeftovers(dir: string): Promise<BackupLeftover[]> {
    const found = await Promise.all(
      (await namesIn(dirname(dir))).map(async (name) => {
        const kind = memoryDirCopyKind(name, basename(dir));
        if (!kind) return undefined;
        return leftoverAt(join(dirname(dir), name), { kind, backupId: null, reason: null });
      }),
    );
    return found.filter((leftover) => leftover !== undefined);
  }

  /** The scratch copies (scratchCopy) beside `nearPath` a restore stopped before removing, with their side files. */
  async scratchLeftovers(nearPath: string): Promise<BackupLeftover[]> {
    const dir = dirname(nearPath);
    const names = await namesIn(dir);
    const found = await Promise.all(
      names.filter(isRestoreScratch).map(async (name) => {
        const parts = await Promise.all(
          names.filter((other) => other.startsWith(name)).map((other) => footprint(join(dir, other))),
        );
        if (parts.every((part) => part === undefined)) return undefined;
        return {
          name,
          path: join(dir, name),
          kind: 'restore-scratch' as const,
          backupId: null,
          reason: null,
          bytes: parts.reduce((sum, part) => sum + (part?.bytes ?? 0), 0),
          modifiedAt: Math.max(...parts.map((part) => part?.modifiedAt ?? 0)),
        };
      }),
    );
    return found.filter((leftover) => leftover !== undefined);
  }

  /** Deletes a leftover found by the listings above (never any other path). */
  async removeLeftover(leftover: BackupLeftover): Promise<void> {
    if (leftover.kind === 'restore-scratch') await this.removeFile(leftover.path);
    else await rm(leftover.path, { recursive: true, force: true });
    await syncToDisk(dirname(leftover.path));
  }

  /** Path of a file inside a backup. */
  fileOf(id: string, file: string): string {
    return join(this.dirOf(id), basename(file));
  }

  /** Size and SHA-256 of a (large) file, hashed off the calling thread. */
  digest(path: string): Promise<{ bytes: number; sha256: string }> {
    return runInSqliteThread('fileDigest', path);
  }

  /**
   * Archives a directory's contents (gzip tar), or returns false when the directory does not exist. The
   * temporary files of durable writes are left out, whether a write in flight or a crash's leftover: never
   * a file of the memory, they would otherwise be restored as stray files.
   */
  async archiveDirectory(sourceDir: string, archivePath: string): Promise<boolean> {
    if (!existsSync(sourceDir)) return false;
    const tar = await import('tar'); // loaded with the first backup, not at start-up
    const filter = (path: string) => !isDurableTemporary(basename(path));
    await tar.create({ gzip: true, file: archivePath, cwd: sourceDir, portable: true, filter }, ['.']);
    return true;
  }

  /**
   * What keeps an archive of every namespace's memory (`<namespace>/<path>`) from being restored
   * (scanArchivedMemory), read once from its entries' headers: no file's bytes are kept, the archive is read
   * in small pieces, and when its namespaces' tallies would together hold more than the budget they are
   * tallied again from a file of one line per entry (opened as `.restore-scan-<ms>-<pid>` in the backups
   * folder and unnamed at once, so nothing of it outlives the check). Undefined when it may be restored.
   */
  async archivedMemoryProblem(archivePath: string, limits: MemoryLimits): Promise<ArchivedMemoryProblem | undefined> {
    const tar = await import('tar');
    const read = async (onReadEntry: (entry: EntryHeader) => void) =>
      tar.list({ file: archivePath, strict: true, maxReadSize: ARCHIVE_READ_BYTES, onReadEntry });
    const spill = new EntrySpillFile(join(this.root, `.restore-scan-${Date.now()}-${process.pid}`));
    try {
      return await scanArchivedMemory(read, spill, limits, this.tallyBudgetBytes);
    } finally {
      spill.close();
    }
  }

  /**
   * The regular files of an archive (archiveDirectory's) one at a time, by their path in it, for a store
   * that keeps them in its database: nothing is extracted to disk, and memory holds the file handed over
   * and a small read-ahead, never the whole archive (the parser hands out the next file only once this one
   * was read, and the file is read on only as the parser takes it). Corrupt when a path climbs out of the
   * archive, as extracting it would refuse: the files handed out before it must not be kept. A file over
   * `maxFileBytes` is refused by its header, before its bytes are read.
   */
  async *archivedFiles(archivePath: string, maxFileBytes: number): AsyncGenerator<ArchivedFile> {
    const { Parser } = await import('tar');
    const parser = new Parser({ strict: true });
    const source = createReadStream(archivePath, { highWaterMark: ARCHIVE_READ_BYTES });
    source.on('error', (error) => parser.emit('error', error));
    const entries = on(parser, 'entry', { close: ['end'] }) as AsyncIterableIterator<[ReadEntry]>;
    source.pipe(parser);
    try {
      for await (const [entry] of entries) {
        if (climbsOut(entry.path)) {
          throw new BackupCorrupted(`The memory archive holds a path outside it: ${entry.path}`);
        }
        if (!FILE_ENTRY_TYPES.has(entry.type)) {
          entry.resume();
          continue;
        }
        const tooLarge = oversized(entry, maxFileBytes);
        if (tooLarge) throw new AgentFileTooLarge(tooLarge, maxFileBytes);
        yield { path: posix.normalize(entry.path), content: await entry.concat() };
      }
    } finally {
      source.destroy();
    }
  }

  /**
   * Replaces a directory by the contents of an archive: extracted beside it first and put on disk (fsync),
   * then swapped in by two renames, so the directory is never half-extracted, and a restore reported done
   * keeps its files through a power cut. Without an archive the directory is emptied. A file over
   * `maxFileBytes` is not written (its header tells) and fails the whole replacement.
   */
  async replaceDirectory(targetDir: string, archivePath: string | undefined, maxFileBytes: number): Promise<void> {
    const stamp = Date.now();
    const incoming = `${targetDir}.restoring-${stamp}`;
    const outgoing = `${targetDir}.replaced-${stamp}`;
    await mkdir(incoming, { recursive: true });
    try {
      if (archivePath) await extractWithin(archivePath, incoming, maxFileBytes);
      await syncTreeToDisk(incoming);
      if (existsSync(targetDir)) await rename(targetDir, outgoing);
      await rename(incoming, targetDir);
      await syncToDisk(dirname(targetDir));
    } catch (error) {
      await rm(incoming, { recursive: true, force: true });
      throw error;
    }
    await rm(outgoing, { recursive: true, force: true });
  }

  /** Copies a file to a scratch path beside `nearPath` (same volume as the live database). */
  async scratchCopy(sourcePath: string, nearPath: string): Promise<string> {
    const copy = join(dirname(nearPath), `.restore-${Date.now()}-${basename(sourcePath)}`);
    await cp(sourcePath, copy);
    return copy;
  }

  async removeFile(path: string): Promise<void> {
    await rm(path, { force: true });
    for (const suffix of ['-wal', '-shm', '-journal']) await rm(`${path}${suffix}`, { force: true });
  }

  private dirOf(id: string): string {
    return join(this.root, id);
  }

  /** The backup's manifest, or what is wrong with it. */
  private async readManifest(id: string): Promise<BackupManifest | string> {
    let text: string;
    try {
      text = await readFile(join(this.dirOf(id), MANIFEST_FILE), 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return code === 'ENOENT' ? `${MANIFEST_FILE} is missing` : `${MANIFEST_FILE} cannot be read (${code})`;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return `${MANIFEST_FILE} is not valid JSON, truncated or altered (${(error as Error).message})`;
    }
    const parsed = BackupManifest.safeParse(value);
    if (!parsed.success) {
      const [issue] = parsed.error.issues;
      return `${MANIFEST_FILE} does not describe a backup (${issue.path.join('.') || 'its top level'}: ${issue.message})`;
    }
    if (parsed.data.id !== id) return `${MANIFEST_FILE} names another backup, ${parsed.data.id}`;
    return parsed.data;
  }
}

/**
 * Bytes held under a path (a folder's files summed) and the newest change to anything there; undefined
 * when it is gone.
 */
async function footprint(path: string): Promise<{ bytes: number; modifiedAt: number } | undefined> {
  try {
    const info = await lstat(path);
    if (!info.isDirectory()) return { bytes: info.size, modifiedAt: info.mtimeMs };
    const inside = await Promise.all((await readdir(path)).map((name) => footprint(join(path, name))));
    return inside.reduce<{ bytes: number; modifiedAt: number }>(
      (sum, each) => ({
        bytes: sum.bytes + (each?.bytes ?? 0),
        modifiedAt: Math.max(sum.modifiedAt, each?.modifiedAt ?? 0),
      }),
      { bytes: 0, modifiedAt: info.mtimeMs },
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The archive's files written under `dir`; throws AgentFileTooLarge, once it is read, when one is over `maxFileBytes`. */
async function extractWithin(archivePath: string, dir: string, maxFileBytes: number): Promise<void> {
  const tar = await import('tar');
  let tooLarge: ArchivedFileSize | undefined;
  await tar.extract({
    file: archivePath,
    cwd: dir,
    strict: true,
    maxReadSize: ARCHIVE_READ_BYTES,
    // Extracting reads entries, never files on disk, so the Stats of the filter's type never comes.
    filter: (_path, entry) => {
      tooLarge ??= oversized(entry as EntryHeader, maxFileBytes);
      return tooLarge === undefined;
    },
  });
  if (tooLarge) throw new AgentFileTooLarge(tooLarge, maxFileBytes);
}

/** The names in a folder; none when the folder does not exist. */
async function namesIn(dir: string): Promise<string[]> {
  return existsSync(dir) ? readdir(dir) : [];
}

/** The leftover at `path` with its size and age, or undefined when it went meanwhile (committed, removed). */
async function leftoverAt(
  path: string,
  found: Pick<BackupLeftover, 'kind' | 'backupId' | 'reason'>,
): Promise<BackupLeftover | undefined> {
  const size = await footprint(path);
  return size && { name: basename(path), path, ...found, ...size };
}
