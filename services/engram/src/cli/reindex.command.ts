import { EmbeddingService } from '../embeddings/embedding.service';
import { JobName } from '../jobs/job.types';
import { ReindexRepository } from '../reindex/reindex.repository';
import { CliCommand } from './cli-command';
import { enqueueAndFollow, runJobCommand, withJobQueue } from './job-command';

const IF_MODEL_CHANGED = '--if-model-changed';
const IN_PROCESS = '--in-process';

/**
 * `engram reindex [--if-model-changed] [--in-process]`. `--if-model-changed` re-embeds only when the
 * database holds another model's vectors (or an interrupted reindex), so it is safe to run at every start;
 * `--in-process` runs the job here even when Redis is configured (the Helm chart's init container does
 * both before the api and the worker start).
 */
export const reindexCommand: CliCommand = {
  summary:
    're-embed every memory with the configured embedding model (resumable; search keeps working); ' +
    `${IF_MODEL_CHANGED}: only when the stored vectors are another model's; ${IN_PROCESS}: here, not on a worker`,
  run(argv) {
    const inProcess = argv.includes(IN_PROCESS);
    const configArgv = argv.filter((arg) => arg !== IF_MODEL_CHANGED && arg !== IN_PROCESS);
    if (!argv.includes(IF_MODEL_CHANGED)) return runJobCommand(JobName.Reindex, {}, configArgv, { inProcess });
    return withJobQueue(
      configArgv,
      (queue, context) => {
        const stored = context.get(ReindexRepository, { strict: false }).storedModel();
        const configured = context.get(EmbeddingService, { strict: false }).modelId;
        if (stored === undefined || stored === configured) {
          process.stderr.write(`the database holds ${configured} vectors already; nothing to re-embed\n`);
          return Promise.resolve(0);
        }
        process.stderr.write(`the database holds ${stored} vectors, the configured model is ${configured}\n`);
        return enqueueAndFollow(queue, JobName.Reindex, {});
      },
      { inProcess },
    );
  },
};
