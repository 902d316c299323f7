import { runWorker } from '../worker/run-worker';
import { CliCommand } from './cli-command';

export const workerCommand: CliCommand = {
  summary: 'run the job worker: backups, restores and reindexing from Redis (REDIS_URL)',
  run: runWorker,
};
