import { z } from 'zod';
import { BACKUP_ID_PATTERN } from './backup-manifest';

/** A backup id as listed (`backup-20260122T054304123Z`); the listed `filename` is accepted too. */
export const BackupIdInput = z
  .string()
  .trim()
  .transform((id) => id.replace(/\/engram\.db$/, ''))
  .pipe(
    z
      .string()
      .regex(BACKUP_ID_PATTERN, 'backup_id must look like backup-20260122T054304123Z (see GET /api/admin/backups)'),
  )
  .describe('Id of a backup, as listed by GET /api/admin/backups');

export const RestoreBody = z.strictObject({ backup_id: BackupIdInput });
export type RestoreInput = z.infer<typeof RestoreBody>;

export const BackupNowQuery = z.strictObject({
  wait: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true')
    .describe('Wait for the backup to finish (default), or answer 202 with the job at once'),
});

/** What DELETE /api/admin/backups/:name takes: a backup's id or an incomplete backup's name, as listed. */
export const BackupNameParam = z
  .string()
  .regex(
    /^[\w.-]{1,255}$/,
    'name must be a backup id or an incomplete backup’s name, as GET /api/admin/backups lists them',
  )
  .refine((name) => name !== '.' && name !== '..', 'name must name a backup, not a folder');
