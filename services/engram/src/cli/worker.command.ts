import { runWorker } from '../worker/run-worker';
import { CliCommand } from './cli-command';
import { CONFIG_USAGE } from './cli-output';

export const workerCommand: CliCommand = {
  usage: `usage: engram worker [configuration flags]\n  ${CONFIG_USAGE}`,
  run: runWorker,
};
