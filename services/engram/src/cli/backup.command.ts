import { JobName } from '../jobs/job.types';
import { parseCommandArgs } from './cli-args';
import { CliCommand } from './cli-command';
import { configUsage, usageError } from './cli-output';
import { humanBytes, runJobCommand } from './job-command';

const USAGE = `usage: engram backup [--json]
  ${configUsage()}`;

export const backupCommand: CliCommand = {
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(argv, { json: { type: 'boolean' } });
    if ('problem' in args) return usageError('backup', args.problem, USAGE);
    if (args.positionals.length > 0) return usageError('backup', `unexpected "${args.positionals[0]}"`, USAGE);
    return runJobCommand(JobName.Backup, { reason: 'manual' }, args.configArgv, {
      json: args.flags.json === true,
      summarize: (result) =>
        `backed up ${Number(result.memories)} memories to ${String(result.backup_id)} ` +
        `(${humanBytes(Number(result.size_bytes))}, ${Number(result.duration_seconds).toFixed(1)} s, verified)`,
    });
  },
};
