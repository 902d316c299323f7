import { BackupService } from '../backups/backup.service';
import { toBackupView } from '../backups/backup.view';
import { BackupIdInput } from '../backups/backup.dto';
import { JobName } from '../jobs/job.types';
import { CliCommand } from './cli-command';
import { runJobCommand, splitPositionals, withJobQueue } from './job-command';

const USAGE = 'usage: engram restore <backup_id> [options]   (engram restore --list shows the backups)';

export const restoreCommand: CliCommand = {
  summary: 'restore a backup while the api keeps serving (the current state is kept as a backup first)',
  async run(argv) {
    if (argv[0] === '--list') return listBackups(argv.slice(1));
    const { positionals, configArgv } = splitPositionals(argv);
    const parsed = BackupIdInput.safeParse(positionals[0] ?? '');
    if (positionals.length !== 1 || !parsed.success) {
      process.stderr.write(`${USAGE}\n`);
      return 64; // EX_USAGE
    }
    return runJobCommand(JobName.Restore, { backupId: parsed.data }, configArgv);
  },
};

function listBackups(configArgv: readonly string[]): Promise<number> {
  return withJobQueue(configArgv, async (_queue, context) => {
    const backups = (await context.get(BackupService).listBackups()).map((manifest) => toBackupView(manifest));
    for (const backup of backups) {
      process.stdout.write(
        `${backup.backup_id}  ${backup.created_at}  ${backup.reason.padEnd(11)}  ${String(backup.memories).padStart(8)} memories  ${backup.size_bytes} bytes\n`,
      );
    }
    if (backups.length === 0) process.stderr.write('no backups yet\n');
    return 0;
  });
}
