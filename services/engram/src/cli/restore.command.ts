import { BackupService } from '../backups/backup.service';
import { toBackupView, toLeftoverView } from '../backups/backup.view';
import { BackupIdInput } from '../backups/backup.dto';
import { BackupManifest } from '../backups/backup-manifest';
import { BackupCorrupted, BackupIncompatible, BackupNotFound } from '../backups/backup.errors';
import { counted } from '../common/counted';
import { JobName } from '../jobs/job.types';
import { parseCommandArgs } from './cli-args';
import { CliCommand } from './cli-command';
import { configUsage, printJson, printTable, usageError } from './cli-output';
import { confirmed, consentProblem, declined, YES_FLAG } from './confirm';
import { enqueueAndFollow, humanBytes, withJobQueue } from './job-command';

const USAGE = `usage:
  engram restore <backup id> [--yes] [--json]   restore it (the current state is kept as a backup first)
  engram restore --list [--json]                the backups, newest first (a corrupt one with its problem),
                                                then what crashes left of backups and restores (incomplete)
  A restore replaces every memory of the store: on a terminal it asks first (only y or yes goes ahead;
  anything else exits 1, nothing changed), --yes does not ask, and without a terminal to ask on (as in
  scripts) a restore needs --yes (exit 64 otherwise). Exit codes: 65 a corrupt or foreign backup, 66 no such backup.
  ${configUsage()}`;

const FLAGS = { list: { type: 'boolean' }, json: { type: 'boolean' }, ...YES_FLAG } as const;

export const restoreCommand: CliCommand = {
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(argv, FLAGS);
    if ('problem' in args) return usageError('restore', args.problem, USAGE);
    const json = args.flags.json === true;
    if (args.flags.list) {
      if (args.positionals.length > 0) return usageError('restore', '--list takes no backup id', USAGE);
      if (args.flags.yes) return usageError('restore', '--yes goes with a restore, not --list', USAGE);
      return listBackups(args.configArgv, json);
    }
    const [id, extra] = args.positionals;
    if (id === undefined) return usageError('restore', 'name a backup (engram restore --list shows them)', USAGE);
    if (extra !== undefined) return usageError('restore', `unexpected "${extra}": one backup id, please`, USAGE);
    const parsed = BackupIdInput.safeParse(id);
    if (!parsed.success) {
      return usageError(
        'restore',
        `${shown(id)} is not a backup id: one looks like backup-20260122T054304123Z (engram restore --list shows them)`,
        USAGE,
      );
    }
    const noConsent = consentProblem(args, 'replaces the store with a backup');
    if (noConsent) return usageError('restore', noConsent, USAGE);
    const output = {
      json,
      summarize: (result: Record<string, unknown>) =>
        `restored ${String(result.backup_id)}: ${counted(Number(result.live_memories), 'memory', 'memories')} ` +
        `(the state before is backup ${String(result.pre_restore_backup_id)})`,
    };
    return withJobQueue('restore', args.configArgv, async (queue, context) => {
      // Refused before it is queued, as REST does: an unknown, corrupt or foreign backup is one line.
      const found = await restorable(context.get(BackupService), parsed.data);
      if ('refusal' in found) {
        process.stderr.write(`engram restore: ${found.refusal.message}\n`);
        return found.refusal.code;
      }
      if (!(await confirmed(restoreQuestion(found.backup), args))) return declined('restore');
      return enqueueAndFollow(queue, JobName.Restore, { backupId: parsed.data }, output);
    });
  },
};

/** The backup `id` to restore, or why it cannot be, with the exit code: 66 unknown, 65 corrupt or of another format. */
async function restorable(
  backups: BackupService,
  id: string,
): Promise<{ backup: BackupManifest } | { refusal: { message: string; code: number } }> {
  try {
    return { backup: await backups.findRestorable(id) };
  } catch (error) {
    if (error instanceof BackupNotFound) return { refusal: { message: error.message, code: 66 } }; // EX_NOINPUT
    if (error instanceof BackupCorrupted || error instanceof BackupIncompatible) {
      return { refusal: { message: error.message, code: 65 } }; // EX_DATAERR
    }
    throw error;
  }
}

/** What the restore replaces with what, asked before anything is queued. */
function restoreQuestion(backup: BackupManifest): string {
  return (
    `Restore ${backup.id} (${backup.created_at}, ${counted(backup.counts.live_memories, 'memory', 'memories')}) over the current ` +
    'store? Every memory now in it is replaced (kept in a backup first).'
  );
}

function listBackups(configArgv: readonly string[], json: boolean): Promise<number> {
  return withJobQueue('restore', configArgv, async (_queue, context) => {
    const service = context.get(BackupService);
    const backups = (await service.listBackups()).map((backup) => toBackupView(backup));
    const incomplete = (await service.listLeftovers()).map((leftover) => toLeftoverView(leftover));
    if (json) return printJson({ backups, incomplete });
    if (backups.length + incomplete.length === 0) {
      process.stderr.write('no backups yet\n');
      return 0;
    }
    return printTable(
      ['BACKUP', 'CREATED', 'REASON', 'MEMORIES', 'SIZE', 'STATE'],
      [
        ...backups.map((backup) => [
          backup.backup_id,
          backup.created_at,
          backup.reason ?? '-',
          String(backup.memories ?? '-'),
          humanBytes(backup.size_bytes),
          backup.problem === null ? backup.state : `${backup.state}: ${backup.problem}`,
        ]),
        // What crashes left, by the name `engram backup delete` takes, with the time it was last touched.
        ...incomplete.map((leftover) => [
          leftover.name,
          leftover.modified_at,
          leftover.reason ?? '-',
          '-',
          humanBytes(leftover.size_bytes),
          `${leftover.state} ${leftover.kind}: ${leftover.problem}`,
        ]),
      ],
    );
  });
}

/** What was typed, quoted with control characters escaped, and cut when long. */
function shown(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}
