import { backupDate, StoredBackup } from './backup-manifest';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface RetentionPolicy {
  /** Kept of each kind, newest first (MCP_BACKUP_MAX_COUNT). */
  maxCount: number;
  /** Older ones go (MCP_BACKUP_RETENTION); 0: no age limit. */
  retentionDays: number;
}

type Kind = 'regular' | 'pre-restore';

/**
 * The ids retention deletes, of `backups` listed newest first. Manual and scheduled backups keep their
 * own `maxCount` apart from pre-restore ones, so repeated restores never push out the backups an
 * operator relies on; and the newest sound manual or scheduled backup stays whatever its age, so pruning
 * after a restore cannot leave the store with pre-restore copies only. A corrupt backup (its reason
 * unreadable) counts with the manual and scheduled ones, by the time in its id. Backups in `keep` stay.
 */
export function backupsToPrune(
  backups: readonly StoredBackup[],
  policy: RetentionPolicy,
  keep: ReadonlySet<string>,
  now = Date.now(),
): string[] {
  const oldestKept = policy.retentionDays > 0 ? now - policy.retentionDays * DAY_MS : -Infinity;
  const newestRegular = backups.find((backup) => backup.state === 'ok' && kindOf(backup) === 'regular');
  const seen: Record<Kind, number> = { regular: 0, 'pre-restore': 0 };
  return backups
    .filter((backup) => {
      const rank = seen[kindOf(backup)]++;
      if (keep.has(backup.id) || backup === newestRegular) return false;
      return rank >= policy.maxCount || takenAt(backup) < oldestKept;
    })
    .map((backup) => backup.id);
}

function kindOf(backup: StoredBackup): Kind {
  return backup.state === 'ok' && backup.manifest.reason === 'pre-restore' ? 'pre-restore' : 'regular';
}

function takenAt(backup: StoredBackup): number {
  return backup.state === 'ok' ? Date.parse(backup.manifest.created_at) : backupDate(backup.id).getTime();
}
