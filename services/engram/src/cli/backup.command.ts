import { JobName } from '../jobs/job.types';
import { CliCommand } from './cli-command';
import { runJobCommand } from './job-command';

export const backupCommand: CliCommand = {
  summary: 'back up the database and memory directory now (verified, into MCP_MEMORY_BACKUPS_PATH)',
  run: (argv) => runJobCommand(JobName.Backup, { reason: 'manual' }, argv),
};
