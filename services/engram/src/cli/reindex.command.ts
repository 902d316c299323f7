import { JobName } from '../jobs/job.types';
import { CliCommand } from './cli-command';
import { runJobCommand } from './job-command';

export const reindexCommand: CliCommand = {
  summary: 're-embed every memory with the configured embedding model (resumable; search keeps working)',
  run: (argv) => runJobCommand(JobName.Reindex, {}, argv),
};
