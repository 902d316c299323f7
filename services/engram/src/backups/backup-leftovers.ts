import { BackupReason } from './backup-manifest';

/** A staging folder left untouched this long is no write in flight; only then may it be removed unasked. */
export const ABANDONED_AFTER_MS = 15 * 60 * 1000;

/**
 * What a crash leaves of a backup or a restore, found on disk: a backup's staging folder
 * (`.staging-<id>-<reason>` in the backups folder; `.staging-<id>` from builds before the reason was in the
 * name), the memory directory's copies a restore swaps by renames (`<dir>.restoring-<ms>`, the backup's
 * files being put in place; `<dir>.replaced-<ms>`, the files it replaced), or, on SQLite, the copy of the
 * backup's database a restore swaps in from (`.restore-<ms>-<file>` beside the live database).
 */
export type LeftoverKind = 'staging' | 'restoring-memory-dir' | 'replaced-memory-dir' | 'restore-scratch';

export interface BackupLeftover {
  /** The folder's own name: what an operator deletes it by. */
  name: string;
  path: string;
  kind: LeftoverKind;
  /** The backup a staging folder was assembling; null for the memory directory's copies. */
  backupId: string | null;
  /** Why that backup was taken; null when not known (an older staging name, a memory directory copy). */
  reason: BackupReason | null;
  bytes: number;
  /** The newest change to anything in it (ms since the epoch). */
  modifiedAt: number;
}

const STAGING_NAME = /^\.staging-(backup-\d{8}T\d{9}Z)(?:-(manual|scheduled|pre-restore))?$/;

/** A staging folder's name for the backup `id` taken for `reason`. */
export function stagingName(id: string, reason: BackupReason): string {
  return `.staging-${id}-${reason}`;
}

/** The backup id and reason a staging folder's name carries, or undefined when it is no staging folder. */
export function parseStagingName(name: string): { backupId: string; reason: BackupReason | null } | undefined {
  const match = STAGING_NAME.exec(name);
  if (!match) return undefined;
  return { backupId: match[1], reason: (match[2] as BackupReason | undefined) ?? null };
}

/** The kind of copy of the memory directory `name` is, beside a memory directory named `dirName`. */
export function memoryDirCopyKind(name: string, dirName: string): LeftoverKind | undefined {
  if (!name.startsWith(`${dirName}.`)) return undefined;
  const suffix = name.slice(dirName.length);
  if (/^\.restoring-\d+$/.test(suffix)) return 'restoring-memory-dir';
  if (/^\.replaced-\d+$/.test(suffix)) return 'replaced-memory-dir';
  return undefined;
}

/** Whether `name` is a restore's scratch copy of a backup's database (its -wal, -shm, -journal go with it). */
export function isRestoreScratch(name: string): boolean {
  return /^\.restore-\d+-.+$/.test(name) && !/-(wal|shm|journal)$/.test(name);
}

/**
 * Whether it may hold the only copy of a state a restore replaced: a pre-restore backup's staging folder
 * (it holds the replaced database once the swap is done), one whose reason is not known, and the memory
 * directory's replaced files. Such a leftover is never removed unasked.
 */
export function mayHoldOnlyCopy(leftover: BackupLeftover): boolean {
  if (leftover.kind === 'replaced-memory-dir') return true;
  return leftover.kind === 'staging' && (leftover.reason === null || leftover.reason === 'pre-restore');
}

/**
 * The leftovers that may be removed without asking, once no process writes them (checked by the caller,
 * by the lock their backup holds): staging folders of manual and scheduled backups untouched for
 * ABANDONED_AFTER_MS. Such a backup is taken again by the next schedule or request; nothing else is only
 * in it (on PostgreSQL that includes the memory files a backup writes out there to archive them).
 */
export function abandonedStagings(leftovers: readonly BackupLeftover[], now = Date.now()): BackupLeftover[] {
  return leftovers.filter(
    (leftover) =>
      leftover.kind === 'staging' && !mayHoldOnlyCopy(leftover) && now - leftover.modifiedAt >= ABANDONED_AFTER_MS,
  );
}

/** What is left and what to do about it, in an operator's words (the listing's `problem`). */
export function describeLeftover(leftover: BackupLeftover): string {
  if (leftover.kind === 'restore-scratch') {
    return 'the copy of a backup’s database a restore was swapping in when it stopped; the backup still holds it';
  }
  if (leftover.kind === 'restoring-memory-dir') {
    return 'the backup’s memory files a restore was putting in place when it stopped; the backup still holds them';
  }
  if (leftover.kind === 'replaced-memory-dir') {
    return 'the memory files a restore replaced, left when it stopped: they may be the only copy; check before deleting';
  }
  if (mayHoldOnlyCopy(leftover)) {
    const what = leftover.reason ? `${leftover.reason} backup` : 'backup of unknown reason (perhaps pre-restore)';
    return `a ${what} cut short: it may hold the only copy of the state a restore replaced; check before deleting`;
  }
  return `a ${leftover.reason} backup cut short; removed when an api, a worker, \`engram mcp\` or a job command (backup, restore, import, reindex, consolidate) starts and after each backup, once no process writes it and it is untouched for 15 minutes`;
}
