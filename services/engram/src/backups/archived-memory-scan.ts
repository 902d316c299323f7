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

/** The namespaces one read tallies: those whose keyed hash leaves `index` when divided by `of`. */
interface Share {
  of: number;
  index: number;
}

/** Past this many shares two namespaces sharing a share are tallied together whatever they hold (a 2^-40 chance). */
const MAX_SHARES = 2 ** 40;

/**
 * What keeps an archive of every namespace's memory (`<namespace>/<path>`) from being restored, from its
 * entries' headers: a path that climbs out of it or a link, which extracting it refuses, a file over the
 * per-file limit, or a namespace's memory over the limits every write is held to (MemoryTally).
 *
 * A namespace's tally needs every entry of it, and the archive gives them in no useful order (node-tar,
 * which makes backups, writes a folder's children after every folder of its depth, so all namespaces
 * interleave) while nothing bounds how many namespaces a server holds. So the tallies of one read hold about `budgetBytes`: past it (with two
 * namespaces or more) the first read drops them, counts on, and the namespaces are tallied again in shares
 * of about three quarters of the budget each, by a hash keyed anew for each scan so no archive can gather
 * them in one share (a share still over it is tallied again in two halves). An archive within the budget is
 * read once; a larger one once more per share, never all its namespaces at once.
 */
export async function scanArchivedMemory(
  read: ArchiveRead,
  limits: MemoryLimits,
  budgetBytes = TALLY_BUDGET_BYTES,
): Promise<ArchivedMemoryProblem | undefined> {
  const key = randomBytes(16);
  const first = new TallyPass(limits, { of: 1, index: 0 }, budgetBytes, key, true);
  await read((entry) => first.add(entry));
  if (first.problem || !first.overBudget) return first.problem;
  const of = Math.ceil(first.estimatedBytes() / (0.75 * budgetBytes));
  const shares: Share[] = Array.from({ length: of }, (_, index) => ({ of, index: of - 1 - index }));
  for (let share = shares.pop(); share; share = shares.pop()) {
    const pass = new TallyPass(limits, share, share.of < MAX_SHARES ? budgetBytes : Infinity, key, false);
    await read((entry) => pass.add(entry));
    if (pass.problem) return pass.problem;
    if (pass.overBudget)
      shares.push({ of: share.of * 2, index: share.index + share.of }, { ...share, of: share.of * 2 });
  }
  return undefined;
}

/** One read of the archive: every header checked on the first, the namespaces of its share tallied. */
class TallyPass {
  problem: ArchivedMemoryProblem | undefined;
  overBudget = false;
  private readonly tallies = new Map<string, MemoryTally>();
  private heldBytes = 0;
  /** Entries of the share's namespaces read, and how many had been tallied, holding how much, when it went over. */
  private entries = 0;
  private overAt = { entries: 0, heldBytes: 0 };

  constructor(
    private readonly limits: MemoryLimits,
    private readonly share: Share,
    private readonly budgetBytes: number,
    private readonly key: Buffer,
    private readonly checkHeaders: boolean,
  ) {}

  add(entry: EntryHeader): void {
    if (this.problem) return;
    if (this.checkHeaders) this.problem = headerProblem(entry, this.limits);
    if (this.problem) return;
    const isFile = FILE_ENTRY_TYPES.has(entry.type);
    const [namespace, ...parts] = withoutTrailingSlashes(posix.normalize(entry.path)).split('/');
    if (namespace === '.' || (isFile && parts.length === 0)) return; // the root, or a stray file beside the namespaces
    if (Buffer.byteLength(namespace, 'utf8') > MAX_NAME_BYTES) {
      this.problem = { kind: 'over-limits', reason: `a namespace's name is longer than ${MAX_NAME_BYTES} bytes` };
      return;
    }
    if (!this.isInShare(namespace)) return;
    this.entries += 1;
    if (!this.overBudget) this.problem = this.tally(namespace, isFile, parts.join('/'), entry.size);
  }

  /** What all the share's namespaces would hold, from what the entries tallied before it went over held each. */
  estimatedBytes(): number {
    return (this.overAt.heldBytes / this.overAt.entries) * this.entries;
  }

  private tally(namespace: string, isFile: boolean, path: string, size: number): ArchivedMemoryProblem | undefined {
    let tally = this.tallies.get(namespace);
    if (!tally) {
      tally = new MemoryTally(this.limits, namespace);
      this.tallies.set(namespace, tally);
      this.heldBytes += namespace.length;
    }
    const before = tally.heldBytes;
    try {
      if (isFile) tally.addFile(path, size);
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

  private isInShare(namespace: string): boolean {
    if (this.share.of === 1) return true;
    const hash = createHmac('sha256', this.key).update(namespace).digest().readUIntBE(0, 6);
    return hash % this.share.of === this.share.index;
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
