import { runWorker } from '../worker/run-worker';
import { ConfigFlag, parseCommandArgs } from './cli-args';
import { CliCommand } from './cli-command';
import { configUsage, usageError } from './cli-output';

/** Not --port: the worker listens on WORKER_HTTP_PORT, and --port would set the api's. */
const CONFIG: readonly ConfigFlag[] = ['db', 'env-file', 'embedding-provider', 'log-level', 'host'];

const USAGE = `usage: engram worker [configuration flags]   (port: WORKER_HTTP_PORT)\n  ${configUsage(CONFIG)}`;

export const workerCommand: CliCommand = {
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(argv, {}, { config: CONFIG });
    if ('problem' in args) return usageError('worker', args.problem, USAGE);
    if (args.positionals.length > 0) return usageError('worker', `unexpected "${args.positionals[0]}"`, USAGE);
    return runWorker(args.configArgv);
  },
};
