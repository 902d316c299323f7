import { createHmac, randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { ReadEntry } from 'tar';
import { withoutTrailingSlashes } from '../common/trailing-slashes';
import { LimitExceeded, MAX_NAME_BYTES, MemoryLimits, MemoryTally } from '../storage/agent-file.rules';
import { ArchivedFileSize, ArchivedMemoryProblem } from './backup.errors';

/** The tar entry types that are a file's bytes (links and folders are not). */
export const FILE_ENTRY_TYPES: ReadonlySet<string> = new Set(['File', 'OldFile', 'ContiguousFile']);

/**
 * About how much the namespaces' tallies of one read of an archive hold together (MemoryTally.heldBytes)
 * before the scan splits them over more reads; one namespace alone may hold more, up to its own limits.
 */
export const TALLY_BUDGET_BYTES = 64 * 1024 * 1024;

/** What an archive entry's header tells of it. */
export type EntryHeader = Pick<ReadEntry, 'type' | 'size' | 'path'>;

/** One read of the whole archive, handing each entry's header to `onEntry` in the archive's order. */
export type ArchiveRead = (onEntry: (entry: EntryHeader) => void) => Promise<void>;

/** Where the scan keeps one line per namespace entry for the reads of its shares (EntrySpillFile). */
export interface EntrySpill {
  append(line: string): void;
  lines(): AsyncIterable<string>;
}

/** The namespaces one tally holds: those whose keyed hash leaves `index` when divided by `of`. */
interface Share {
  of: number;
  index: number;
}

/** Past this many shares two namespaces sharing a share are tallied together whatever they hold (a 2^-40 chance). */
const MAX_SHARES = 2 ** 40;

/** Namespaces whose keyed hash is kept; past it the cache starts over (a hash is only recomputed). */
const HASH_CACHE_SIZE = 4096;

/** One entry of a namespace: its keyed hash, its path in the namespace, a file's size (-1 for a folder). */
interface NamespaceEntry {
  hash: number;
  namespace: string;
  path: string;
  size: number;
}

/**
 * What keeps an archive of every namespace's memory (`<namespace>/<path>`) from being restored, from its
 * entries' headers: a path that climbs out of it or a link, which extracting it refuses, a file over the
 * per-file limit, or a namespace's memory over the limits every write is held to (MemoryTally).
 *
 * A namespace's tally needs every entry of it, and the archive gives them in no useful order (node-tar,
 * which makes backups, writes a folder's children after every folder of its depth, so all namespaces
 * interleave) while nothing bounds how many namespaces a server holds. So the archive is read once, every
 * header checked and every namespace tallied while the tallies hold about `budgetBytes`, each entry also
 * written to `spill` as one short line. Past the budget (with two namespaces or more) the tallies are dropped
 * and the namespaces tallied again from the spill's lines, in shares of about three quarters of the budget
 * each, by a hash keyed anew for each scan so no archive can gather them in one share (a share still over it
 * is tallied again in two halves). The archive, whose decompressing and parsing is what costs, is never read
 * twice; the spill's lines are read once per share.
 */
export async function scanArchivedMemory(
  read: ArchiveRead,
  spill: EntrySpill,
  limits: MemoryLimits,
  budgetBytes = TALLY_BUDGET_BYTES,
): Promise<ArchivedMemoryProblem | undefined> {
  const hashOf = keyedHash(randomBytes(16));
  const first = new Tally(limits, budgetBytes);
  let problem: ArchivedMemoryProblem | undefined;
  await read((header) => {
    if (problem) return;
    const found = namespaceEntry(header, limits, hashOf);
    if (found === undefined) return;
    if ('kind' in found) {
      problem = found;
      return;
    }
    spill.append(JSON.stringify([found.hash, found.namespace, found.path, found.size]));
    problem = first.add(found);
  });
  if (problem || !first.overBudget) return problem;
  const of = Math.ceil(first.estimatedBytes() / (0.75 * budgetBytes));
  const shares: Share[] = Array.from({ length: of }, (_, index) => ({ of, index: of - 1 - index }));
  for (let share = shares.pop(); share; share = shares.pop()) {
    const tally = new Tally(limits, share.of < MAX_SHARES ? budgetBytes : Infinity);
    for await (const line of spill.lines()) {
      if (hashOfLine(line) % share.of !== share.index) continue; // parsing the whole line is what costs
      const [hash, namespace, path, size] = JSON.parse(line) as [number, string, string, number];
      problem = tally.add({ hash, namespace, path, size });
      if (problem) return problem;
    }
    if (tally.overBudget)
      shares.push({ of: share.of * 2, index: share.index + share.of }, { ...share, of: share.of * 2 });
  }
  return undefined;
}

/**
 * The entry as one of a namespace, what of its header keeps the archive from being restored, or undefined
 * for the root and a stray file beside the namespaces.
 */
function namespaceEntry(
  entry: EntryHeader,
  limits: MemoryLimits,
  hashOf: (namespace: string) => number,
): NamespaceEntry | ArchivedMemoryProblem | undefined {
  const problem = headerProblem(entry, limits);
  if (problem) return problem;
  const isFile = FILE_ENTRY_TYPES.has(entry.type);
  const [namespace, ...parts] = withoutTrailingSlashes(posix.normalize(entry.path)).split('/');
  if (namespace === '.' || (isFile && parts.length === 0)) return undefined;
  if (Buffer.byteLength(namespace, 'utf8') > MAX_NAME_BYTES) {
    return { kind: 'over-limits', reason: `a namespace's name is longer than ${MAX_NAME_BYTES} bytes` };
  }
  return { hash: hashOf(namespace), namespace, path: parts.join('/'), size: isFile ? entry.size : -1 };
}

/** The hash a spill line (`[hash,namespace,path,size]`) starts with. */
function hashOfLine(line: string): number {
  return Number(line.slice(1, line.indexOf(',')));
}

/** A namespace's hash keyed by `key` (48 bits), remembered for the namespaces met last. */
function keyedHash(key: Buffer): (namespace: string) => number {
  const known = new Map<string, number>();
  return (namespace) => {
    let hash = known.get(namespace);
    if (hash === undefined) {
      if (known.size >= HASH_CACHE_SIZE) known.clear();
      hash = createHmac('sha256', key).update(namespace).digest().readUIntBE(0, 6);
      known.set(namespace, hash);
    }
    return hash;
  };
}

/** The tallies of some namespaces, dropped once they hold more than the budget. */
class Tally {
  overBudget = false;
  private readonly tallies = new Map<string, MemoryTally>();
  private heldBytes = 0;
  /** Entries added, and how many had been tallied, holding how much, when it went over. */
  private entries = 0;
  private overAt = { entries: 0, heldBytes: 0 };

  constructor(
    private readonly limits: MemoryLimits,
    private readonly budgetBytes: number,
  ) {}

  add({ namespace, path, size }: NamespaceEntry): ArchivedMemoryProblem | undefined {
    this.entries += 1;
    if (this.overBudget) return undefined;
    let tally = this.tallies.get(namespace);
    if (!tally) {
      tally = new MemoryTally(this.limits, namespace);
      this.tallies.set(namespace, tally);
      this.heldBytes += namespace.length;
    }
    const before = tally.heldBytes;
    try {
      if (size >= 0) tally.addFile(path, size);
      else if (path !== '') tally.addFolder(path);
    } catch (error) {
      if (error instanceof LimitExceeded) return { kind: 'over-limits', reason: error.message };
      throw error;
    }
    this.heldBytes += tally.heldBytes - before;
    if (this.heldBytes > this.budgetBytes && this.tallies.size > 1) {
      this.overBudget = true;
      this.overAt = { entries: this.entries, heldBytes: this.heldBytes };
      this.tallies.clear();
    }
    return undefined;
  }

  /** What all its namespaces would hold, from what the entries tallied before it went over held each. */
  estimatedBytes(): number {
    return (this.overAt.heldBytes / this.overAt.entries) * this.entries;
  }
}

/** What of one entry's header alone keeps the archive from being restored. */
function headerProblem(entry: EntryHeader, limits: MemoryLimits): ArchivedMemoryProblem | undefined {
  if (climbsOut(entry.path)) return { kind: 'outside', path: entry.path };
  if (!FILE_ENTRY_TYPES.has(entry.type) && entry.type !== 'Directory') {
    return { kind: 'not-a-file', path: entry.path, type: entry.type };
  }
  const tooLarge = oversized(entry, limits.fileBytes);
  return tooLarge && { kind: 'file-too-large', file: tooLarge, maxBytes: limits.fileBytes };
}

/** The entry as a file over `maxBytes`, from its header; undefined for one within it, or no regular file. */
export function oversized(entry: EntryHeader, maxBytes: number): ArchivedFileSize | undefined {
  if (!FILE_ENTRY_TYPES.has(entry.type) || entry.size <= maxBytes) return undefined;
  return { path: posix.normalize(entry.path), bytes: entry.size };
}

/** An archive path extracting it would refuse: absolute, or through `..`. */
export function climbsOut(path: string): boolean {
  return posix.isAbsolute(path) || path.split('/').includes('..');
}
