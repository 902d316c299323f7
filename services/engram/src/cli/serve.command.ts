import { runApi } from '../http/run-api';
import { ALL_CONFIG, parseCommandArgs } from './cli-args';
import { CliCommand } from './cli-command';
import { configUsage, usageError } from './cli-output';

const USAGE = `usage: engram serve [configuration flags]   (npm start runs the same)\n  ${configUsage(ALL_CONFIG)}`;

export const serveCommand: CliCommand = {
  usage: USAGE,
  async run(argv) {
    // A mistyped flag is a usage error (64) here too, not a configuration problem (78).
    const args = parseCommandArgs(argv, {}, { config: ALL_CONFIG });
    if ('problem' in args) return usageError('serve', args.problem, USAGE);
    if (args.positionals.length > 0) return usageError('serve', `unexpected "${args.positionals[0]}"`, USAGE);
    return runApi(args.configArgv);
  },
};
