import { runApi } from '../http/run-api';
import { CliCommand } from './cli-command';

export const serveCommand: CliCommand = {
  summary: 'run the api: REST, MCP over HTTP, docs, health and metrics (the default)',
  run: runApi,
};
