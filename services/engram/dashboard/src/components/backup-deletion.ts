import { BackupView, IncompleteBackupView } from '../api';
import { formatBytes, formatTime, nounFor } from '../format';

/** What the confirmation before deleting a backup or a leftover says: what it is and what is lost with it. */
export interface BackupDeletion {
  /** The id or name DELETE /api/admin/backups/:name takes. */
  name: string;
  heading: string;
  text: string;
  detail: string;
}

/** `restorable` counts the backups that can be restored, so deleting the last one says so. */
export function backupDeletion(backup: BackupView, restorable: number): BackupDeletion {
  const taken = `taken ${formatTime(backup.created_at)}, ${formatBytes(backup.size_bytes)}`;
  if (backup.state === 'corrupt') {
    return {
      name: backup.backup_id,
      heading: 'Delete this corrupt backup?',
      text: `${backup.backup_id}: ${taken}`,
      detail: `${backup.problem}; it cannot be restored, so only the space it takes is lost.`,
    };
  }
  const files = backup.includes_memory_dir ? ' and its memory files' : '';
  const memories = `${backup.memories.toLocaleString()} ${nounFor(backup.memories, 'memory', 'memories')}`;
  const last = restorable === 1 ? ' It is the only backup that can be restored.' : '';
  return {
    name: backup.backup_id,
    heading: 'Delete this backup?',
    text: `${backup.backup_id}: ${memories}, ${taken}`,
    detail: `Its ${memories}${files} as of then can no longer be restored; the live data and the other backups are not touched.${last}`,
  };
}

export function leftoverDeletion(leftover: IncompleteBackupView): BackupDeletion {
  return {
    name: leftover.name,
    heading: 'Delete this incomplete backup?',
    text: `${leftover.name}: ${formatBytes(leftover.size_bytes)}, last touched ${formatTime(leftover.modified_at)}`,
    detail: leftover.may_hold_only_copy
      ? `It may hold the only copy of the state a restore replaced: once deleted, that state is gone for good. Check ${leftover.path} first.`
      : `What it holds is lost: ${leftover.problem}.`,
  };
}
