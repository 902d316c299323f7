import { BackupService } from '../backups/backup.service';
import { toBackupView } from '../backups/backup.view';
import { BackupIdInput } from '../backups/backup.dto';
import { JobName } from '../jobs/job.types';
import { parseCommandArgs } from './cli-args';
import { CliCommand } from './cli-command';
import { configUsage, printJson, printTable, usageError } from './cli-output';
import { humanBytes, runJobCommand, withJobQueue } from './job-command';

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
    return runJobCommand(JobName.Restore, { backupId: parsed.data }, args.configArgv, {
      json,
      summarize: (result) =>
        `restored ${String(result.backup_id)}: ${Number(result.live_memories)} memories ` +
        `(the state before is backup ${String(result.pre_restore_backup_id)})`,
    });
  },
};

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
