import { runApi } from '../http/run-api';
import { CliCommand } from './cli-command';
import { CONFIG_USAGE } from './cli-output';

export const serveCommand: CliCommand = {
  usage: `usage: engram serve [configuration flags]   (npm start runs the same)\n  ${CONFIG_USAGE}`,
  run: runApi,
};
