import { isAbsolute, normalize, posix, sep } from 'node:path';
import { withoutTrailingSlashes } from '../common/trailing-slashes';
import { DEFAULT_MEMORY_MAX_ENTRIES } from '../config/config.types';

/**
 * The rules every AgentFileStore applies, whatever holds the files: which paths name a memory file, and
 * how much a file, a folder and the whole memory may hold. The local folder and the database enforce
 * them through these functions, so a path or a size refused by one is refused by the other.
 */

const MIB = 1024 * 1024;

/** Limits of one namespace's memory: sizes in bytes (the reference's 1 MiB / 10 MiB / 100 MiB) and entries. */
export interface MemoryLimits {
  fileBytes: number;
  /** Files directly inside one folder, together. */
  directoryBytes: number;
  /** The whole memory, every folder included. */
  memoryBytes: number;
  /**
   * Files and folders of the whole memory (ENGRAM_MEMORY_MAX_ENTRIES): empty files and folders cost no
   * bytes, yet millions of them cost inodes, and every listing, backup and copy of the memory walks them.
   */
  entries: number;
}

export const DEFAULT_MEMORY_LIMITS: MemoryLimits = {
  fileBytes: MIB,
  directoryBytes: 10 * MIB,
  memoryBytes: 100 * MIB,
  entries: DEFAULT_MEMORY_MAX_ENTRIES,
};

/** The default limits with the configured number of entries. */
export function memoryLimitsWithEntries(entries: number): MemoryLimits {
  return { ...DEFAULT_MEMORY_LIMITS, entries };
}

/** Longest path and path segment, in UTF-8 bytes: a folder's file names stop at 255, and a database key must stay small. */
export const MAX_PATH_BYTES = 1024;
export const MAX_NAME_BYTES = 255;

/** Why a path was refused; the text is safe to show to the model (no host paths). */
export class PathRefused extends Error {}

/** A write the limits refuse; the message is safe to show to the model. */
export class LimitExceeded extends Error {}

/** Asked for something that is not there (or is a folder where a file was expected, and so on). */
export class EntryMissing extends Error {}

/**
 * A model-given path as the memory-relative path it names (`''` is the root, `/` separators). Refuses
 * non-strings, control characters (NUL, newlines), absolute paths, `..` escapes, hidden segments (`.filters`, temporary
 * files), which are not part of the memory the model browses, and over-long paths or names.
 */
export function memoryRelativePath(given: unknown): string {
  if (typeof given !== 'string') throw new PathRefused('the path must be a string');
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(given)) throw new PathRefused('the path contains a control character');
  const trimmed = given.trim().replace(/\\/g, '/');
  if (isAbsolute(trimmed))
    throw new PathRefused(`absolute paths are not allowed ("${given}"); use a path relative to the memory root`);
  const cleaned = withoutTrailingSlashes(normalize(trimmed === '' ? '.' : trimmed));
  const rel = cleaned === '.' ? '' : cleaned;
  if (rel === '..' || rel.startsWith(`..${sep}`)) throw new PathRefused(`"${given}" is outside the memory`);
  if (rel.split('/').some((segment) => segment.startsWith('.'))) {
    throw new PathRefused(`"${given}" names a hidden file or folder, which is not part of the memory`);
  }
  if (Buffer.byteLength(rel, 'utf8') > MAX_PATH_BYTES) {
    throw new PathRefused(`the path is longer than ${MAX_PATH_BYTES} bytes`);
  }
  if (rel.split('/').some((segment) => Buffer.byteLength(segment, 'utf8') > MAX_NAME_BYTES)) {
    throw new PathRefused(`a file or folder name is longer than ${MAX_NAME_BYTES} bytes`);
  }
  return rel;
}

/** A memory-relative path that must name a file: the root itself is refused. */
export function memoryFilePath(given: unknown): string {
  const rel = memoryRelativePath(given);
  if (rel === '') throw new PathRefused('a file path is required');
  return rel;
}

/** A hidden file of the root itself (`.filters`), which model-given paths can never name. */
export function rootFileName(name: string): string {
  if (!/^\.[\w.-]+$/.test(name)) throw new PathRefused(`"${name}" is not a file of the memory root`);
  return name;
}

/** The folder a memory-relative path is in (`''` for the root). */
export function parentOf(path: string): string {
  const parent = posix.dirname(path);
  return parent === '.' ? '' : parent;
}

/**
 * Refuses writing `newBytes` at `path` when the file, its folder's files together or the whole memory
 * would exceed the limits. `files` are every file the memory holds (hidden root files included), with
 * the file at `path`, if any, counted as replaced.
 */
export function checkWriteLimits(
  files: Iterable<{ path: string; size: number }>,
  path: string,
  newBytes: number,
  limits: MemoryLimits,
): void {
  refuseFileOver(newBytes, limits, 'the content');
  const folder = parentOf(path);
  let folderBytes = newBytes;
  let totalBytes = newBytes;
  for (const file of files) {
    if (file.path === path) continue;
    totalBytes += file.size;
    if (parentOf(file.path) === folder) folderBytes += file.size;
  }
  refuseFolderOver(folderBytes, limits, 'the folder');
  refuseMemoryOver(totalBytes, limits, 'the memory');
}

/** The three size limits, each naming what is over it (`subject`); shared by a write and a restore's tally. */
function refuseFileOver(bytes: number, limits: MemoryLimits, subject: string): void {
  if (bytes > limits.fileBytes) {
    throw new LimitExceeded(`${subject} is ${bytes} bytes; a file holds at most ${limits.fileBytes} bytes`);
  }
}

function refuseFolderOver(bytes: number, limits: MemoryLimits, subject: string): void {
  if (bytes > limits.directoryBytes) {
    throw new LimitExceeded(
      `${subject} would hold ${bytes} bytes; a folder holds at most ${limits.directoryBytes} bytes`,
    );
  }
}

function refuseMemoryOver(bytes: number, limits: MemoryLimits, subject: string): void {
  if (bytes > limits.memoryBytes) {
    throw new LimitExceeded(`${subject} would hold ${bytes} bytes; it holds at most ${limits.memoryBytes} bytes`);
  }
}

function refuseEntriesOver(count: number, limits: MemoryLimits, subject: string): void {
  if (count > limits.entries) {
    throw new LimitExceeded(`${subject} would hold ${count} files and folders; it holds at most ${limits.entries}`);
  }
}

/** What a tally keeps for one entry beside its path's characters (a set slot, a size, a folder's sum), about. */
const TALLIED_ENTRY_BYTES = 100;

/**
 * A whole memory checked against the limits as it is read a file and a folder at a time (a restore's
 * archive), with the rules a write is held to: what it keeps grows with its entries, which past the limit
 * on entries it refuses, and with their paths, refused past the lengths a write allows. A path given again
 * replaces what it held, as extracting it would.
 */
export class MemoryTally {
  private readonly fileSizes = new Map<string, number>();
  private readonly folderBytes = new Map<string, number>();
  private readonly entries = new Set<string>();
  private totalBytes = 0;
  /** About how much memory the tally holds (its paths' characters, each entry's slots); it bounds a restore's scan. */
  heldBytes = 0;

  constructor(
    private readonly limits: MemoryLimits,
    /** How the memory is named in a refusal (its namespace), and its paths after it (`default/notes`). */
    private readonly name: string,
  ) {}

  addFile(path: string, bytes: number): void {
    this.refuseLongPath(path);
    refuseFileOver(bytes, this.limits, `"${this.name}/${path}"`);
    const change = bytes - (this.fileSizes.get(path) ?? 0);
    const folder = parentOf(path);
    const folderBytes = (this.folderBytes.get(folder) ?? 0) + change;
    refuseFolderOver(folderBytes, this.limits, `the folder "${posix.join(this.name, folder)}"`);
    refuseMemoryOver(this.totalBytes + change, this.limits, `the memory "${this.name}"`);
    this.addEntry(path);
    this.fileSizes.set(path, bytes);
    this.folderBytes.set(folder, folderBytes);
    this.totalBytes += change;
  }

  addFolder(path: string): void {
    this.refuseLongPath(path);
    this.addEntry(path);
  }

  /** A path no write could have made (memoryRelativePath's lengths): it would be held whatever its length. */
  private refuseLongPath(path: string): void {
    const subject = `"${this.name}/${path}"`;
    const bytes = Buffer.byteLength(path, 'utf8');
    if (bytes > MAX_PATH_BYTES) {
      throw new LimitExceeded(`${subject} is a path of ${bytes} bytes; a memory path is at most ${MAX_PATH_BYTES}`);
    }
    if (path.split('/').some((name) => Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES)) {
      throw new LimitExceeded(`${subject} holds a name longer than ${MAX_NAME_BYTES} bytes`);
    }
  }

  /** The entry and the folders it is in, refused when the memory would then hold more than the limit. */
  private addEntry(path: string): void {
    refuseEntriesOver(this.entries.size + missingEntries(this.entries, path), this.limits, `the memory "${this.name}"`);
    for (let entry = path; entry !== '' && !this.entries.has(entry); entry = parentOf(entry)) {
      this.entries.add(entry);
      this.heldBytes += entry.length + TALLIED_ENTRY_BYTES;
    }
  }
}

/**
 * Every entry of a memory as a path: its files (hidden root files included), the folders they are in, and
 * `folders` that hold no file (a local folder can have empty ones; the database has none).
 */
export function memoryEntries(filePaths: Iterable<string>, folders: Iterable<string> = []): Set<string> {
  const entries = new Set(folders);
  for (const path of filePaths) {
    for (let entry = path; entry !== '' && !entries.has(entry); entry = parentOf(entry)) entries.add(entry);
  }
  return entries;
}

/**
 * Refuses adding `path` (a file or a folder), with the folders it needs that are missing, when the memory
 * would then hold more than `limits.entries` files and folders. `entries` are what memoryEntries() answers;
 * replacing a file or making a folder that exists adds nothing, so a full memory can still be edited.
 */
export function checkEntryLimit(entries: ReadonlySet<string>, path: string, limits: MemoryLimits): void {
  const added = missingEntries(entries, path);
  if (added > 0) refuseEntriesOver(entries.size + added, limits, 'the memory');
}

/** How many entries `path` adds: itself and the folders it is in that `entries` lacks. */
function missingEntries(entries: ReadonlySet<string>, path: string): number {
  let added = 0;
  for (let entry = path; entry !== '' && !entries.has(entry); entry = parentOf(entry)) added += 1;
  return added;
}

/** Files listed in path order (UTF-16 code units, as the folder has always sorted them). */
export function byPath<T extends { path: string }>(a: T, b: T): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}
