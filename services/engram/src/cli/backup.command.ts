import { BackupNameParam } from '../backups/backup.dto';
import { BackupInUse, BackupNotFound } from '../backups/backup.errors';
import { BackupService } from '../backups/backup.service';
import { toBackupView, toLeftoverView } from '../backups/backup.view';
import { counted } from '../common/counted';
import { JobName } from '../jobs/job.types';
import { parseCommandArgs } from './cli-args';
import { CliCommand } from './cli-command';
import { configUsage, printJson, usageError } from './cli-output';
import { confirmed, consentProblem, declined, YES_FLAG } from './confirm';
import { humanBytes, runJobCommand, withJobQueue } from './job-command';

const USAGE = `usage:
  engram backup [--json]                        take a verified backup now
  engram backup delete <name> [--yes] [--json]  delete a backup (its id) or an incomplete one (its name)
  engram restore --list shows both. A deletion asks first on a terminal (only y or yes goes ahead; anything
  else exits 1, nothing deleted), --yes does not ask, and without a terminal (as in scripts) it needs --yes
  (exit 64 otherwise). Exit codes: 66 nothing listed of that name, 75 the staging folder of a backup being
  written (never listed, so refused only when its writer took it back in between).
  ${configUsage()}`;

const FLAGS = { json: { type: 'boolean' }, ...YES_FLAG } as const;

export const backupCommand: CliCommand = {
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(argv, FLAGS);
    if ('problem' in args) return usageError('backup', args.problem, USAGE);
    const json = args.flags.json === true;
    const [subcommand, name, extra] = args.positionals;
    if (subcommand === undefined) {
      if (args.flags.yes) return usageError('backup', '--yes goes with backup delete', USAGE);
      return takeBackup(args.configArgv, json);
    }
    if (subcommand !== 'delete') return usageError('backup', `unexpected "${subcommand}"`, USAGE);
    if (name === undefined) return usageError('backup', 'name what to delete (engram restore --list shows it)', USAGE);
    if (extra !== undefined) return usageError('backup', `unexpected "${extra}": one name, please`, USAGE);
    const parsed = BackupNameParam.safeParse(name);
    if (!parsed.success) return usageError('backup', parsed.error.issues[0].message, USAGE);
    const noConsent = consentProblem(args, 'deletes for good');
    if (noConsent) return usageError('backup', noConsent, USAGE);
    return withJobQueue('backup', args.configArgv, async (_queue, context) => {
      const backups = context.get(BackupService);
      const question = await deletionQuestion(backups, parsed.data);
      if (question === undefined) {
        process.stderr.write(`engram backup: nothing listed is named ${name} (engram restore --list shows what is)\n`);
        return 66; // EX_NOINPUT
      }
      if (!(await confirmed(question, args))) return declined('backup delete');
      return deleteBackup(backups, parsed.data, json);
    });
  },
};

function takeBackup(configArgv: readonly string[], json: boolean): Promise<number> {
  return runJobCommand(JobName.Backup, { reason: 'manual' }, configArgv, {
    json,
    summarize: (result) =>
      `backed up ${counted(Number(result.memories), 'memory', 'memories')} to ${String(result.backup_id)} ` +
      `(${humanBytes(Number(result.size_bytes))}, ${Number(result.duration_seconds).toFixed(1)} s, verified)`,
  });
}

/** What deleting `name` destroys, asked before anything is deleted; undefined when nothing listed has that name. */
async function deletionQuestion(backups: BackupService, name: string): Promise<string | undefined> {
  const backup = (await backups.listBackups())
    .map((found) => toBackupView(found))
    .find((found) => found.backup_id === name);
  if (backup) {
    const what =
      backup.state === 'ok' ? `${backup.reason}, ${counted(backup.memories, 'memory', 'memories')}` : backup.state;
    return `Delete backup ${name} (${backup.created_at}, ${what}, ${humanBytes(backup.size_bytes)}) for good?`;
  }
  const leftover = (await backups.listLeftovers())
    .map((found) => toLeftoverView(found))
    .find((found) => found.name === name);
  if (!leftover) return undefined;
  return `Delete ${leftover.path} (${humanBytes(leftover.size_bytes)}, untouched since ${leftover.modified_at}): ${leftover.problem}. Delete it for good?`;
}

async function deleteBackup(backups: BackupService, name: string, json: boolean): Promise<number> {
  try {
    const deleted = await backups.deleteBackup(name);
    if (json) return printJson({ deleted: deleted.name, size_bytes: deleted.bytes });
    process.stdout.write(`deleted ${deleted.name} (${humanBytes(deleted.bytes)})\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof BackupInUse) && !(error instanceof BackupNotFound)) throw error;
    process.stderr.write(`engram backup: ${error.message}\n`);
    return error instanceof BackupInUse ? 75 : 66; // EX_TEMPFAIL, EX_NOINPUT
  }
}
