import { JobName } from '../jobs/job.types';
import { parseCommandArgs } from './cli-args';
import { CliCommand } from './cli-command';
import { CONFIG_USAGE, usageError } from './cli-output';
import { runJobCommand } from './job-command';

const USAGE = `usage: engram reindex [--json]
  ${CONFIG_USAGE}`;

export const reindexCommand: CliCommand = {
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(argv, { json: { type: 'boolean' } });
    if ('problem' in args) return usageError('reindex', args.problem, USAGE);
    if (args.positionals.length > 0) return usageError('reindex', `unexpected "${args.positionals[0]}"`, USAGE);
    return runJobCommand(JobName.Reindex, {}, args.configArgv, {
      json: args.flags.json === true,
      summarize: (result) =>
        `reindexed ${Number(result.vectors)} memories with ${String(result.model)} ` +
        `(${Number(result.embedded)} embedded, ${Number(result.duration_seconds).toFixed(1)} s)`,
    });
  },
};
