import { BackupService } from '../backups/backup.service';
import { toBackupView } from '../backups/backup.view';
import { BackupIdInput } from '../backups/backup.dto';
import { BackupCorrupted, BackupIncompatible, BackupNotFound } from '../backups/backup.errors';
import { JobName } from '../jobs/job.types';
import { parseCommandArgs } from './cli-args';
import { CliCommand } from './cli-command';
import { configUsage, printJson, printTable, usageError } from './cli-output';
import { enqueueAndFollow, humanBytes, withJobQueue } from './job-command';

const USAGE = `usage:
  engram restore <backup id> [--json]   restore it (the current state is kept as a backup first)
  engram restore --list [--json]        the backups, newest first (a corrupt one with its problem)
  ${configUsage()}`;

const FLAGS = { list: { type: 'boolean' }, json: { type: 'boolean' } } as const;

export const restoreCommand: CliCommand = {
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(argv, FLAGS);
    if ('problem' in args) return usageError('restore', args.problem, USAGE);
    const json = args.flags.json === true;
    if (args.flags.list) {
      if (args.positionals.length > 0) return usageError('restore', '--list takes no backup id', USAGE);
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
    const output = {
      json,
      summarize: (result: Record<string, unknown>) =>
        `restored ${String(result.backup_id)}: ${Number(result.live_memories)} memories ` +
        `(the state before is backup ${String(result.pre_restore_backup_id)})`,
    };
    return withJobQueue('restore', args.configArgv, async (queue, context) => {
      // Refused before it is queued, as REST does: an unknown, corrupt or foreign backup is one line.
      const refusal = await refusalOf(() => context.get(BackupService).findRestorable(parsed.data));
      if (refusal) {
        process.stderr.write(`engram restore: ${refusal.message}\n`);
        return refusal.code;
      }
      return enqueueAndFollow(queue, JobName.Restore, { backupId: parsed.data }, output);
    });
  },
};

/** Why a backup cannot be restored, with the exit code: 66 unknown, 65 corrupt or of another format. */
async function refusalOf(check: () => Promise<unknown>): Promise<{ message: string; code: number } | undefined> {
  try {
    await check();
    return undefined;
  } catch (error) {
    if (error instanceof BackupNotFound) return { message: error.message, code: 66 }; // EX_NOINPUT
    if (error instanceof BackupCorrupted || error instanceof BackupIncompatible) {
      return { message: error.message, code: 65 }; // EX_DATAERR
    }
    throw error;
  }
}

function listBackups(configArgv: readonly string[], json: boolean): Promise<number> {
  return withJobQueue('restore', configArgv, async (_queue, context) => {
    const backups = (await context.get(BackupService).listBackups()).map((backup) => toBackupView(backup));
    if (json) return printJson({ backups });
    if (backups.length === 0) {
      process.stderr.write('no backups yet\n');
      return 0;
    }
    return printTable(
      ['BACKUP', 'CREATED', 'REASON', 'MEMORIES', 'SIZE', 'STATE'],
      backups.map((backup) => [
        backup.backup_id,
        backup.created_at,
        backup.reason ?? '-',
        String(backup.memories ?? '-'),
        humanBytes(backup.size_bytes),
        backup.problem === null ? backup.state : `${backup.state}: ${backup.problem}`,
      ]),
    );
  });
}

/** What was typed, quoted with control characters escaped, and cut when long. */
function shown(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}
