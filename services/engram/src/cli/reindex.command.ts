import { storeIsNew } from '../storage/store-location';
import { loadConfigOrReport } from '../config/config.loader';
import { EmbeddingService } from '../embeddings/embedding.service';
import { JobName } from '../jobs/job.types';
import { ReindexStaging } from '../reindex/reindex-staging';

import { parseCommandArgs } from './cli-args';
import { CliCommand } from './cli-command';
import { configUsage, usageError } from './cli-output';
import { enqueueAndFollow, JobOutput, runJobCommand, withJobQueue } from './job-command';
import { counted } from '../common/counted';
import { waitForConfiguredModel } from './reindex-wait';

const USAGE = `usage: engram reindex [--if-model-changed] [--in-process] [--json]
       engram reindex --wait
  --if-model-changed  re-embed only when the stored vectors are another model's (or a reindex was
                      interrupted): safe to run at every start
  --in-process        run the job here even when REDIS_URL is set (a start-up step before any worker,
                      as the Helm chart's reindex Job and Compose's reindex service do)
  --wait              re-embed nothing: wait until the stored vectors are the configured model's (another
                      process re-embeds them), then exit 0; at once when they are, or when there are none
  ${configUsage()}`;

export const reindexCommand: CliCommand = {
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(argv, {
      json: { type: 'boolean' },
      'if-model-changed': { type: 'boolean' },
      'in-process': { type: 'boolean' },
      wait: { type: 'boolean' },
    });
    if ('problem' in args) return usageError('reindex', args.problem, USAGE);
    if (args.positionals.length > 0) return usageError('reindex', `unexpected "${args.positionals[0]}"`, USAGE);
    if (args.flags.wait === true) return waitCommand(args.flags, args.configArgv);
    const options = { inProcess: args.flags['in-process'] === true };
    const output: JobOutput = {
      json: args.flags.json === true,
      summarize: (result) =>
        `reindexed ${counted(Number(result.vectors), 'memory', 'memories')} with ${String(result.model)} ` +
        `(${Number(result.embedded)} embedded, ${Number(result.duration_seconds).toFixed(1)} s)`,
    };
    if (args.flags['if-model-changed'] !== true)
      return runJobCommand(JobName.Reindex, {}, args.configArgv, output, options);
    // A first start has no store yet: nothing to re-embed, and the api creates it.
    const config = loadConfigOrReport(args.configArgv);
    if (!config) return 78; // EX_CONFIG
    if (storeIsNew(config.storage)) {
      process.stderr.write(`no database at ${config.storage.sqlitePath} yet; nothing to re-embed\n`);
      return 0;
    }
    return withJobQueue(
      'reindex',
      args.configArgv,
      async (queue, context) => {
        const stored = await context.get(ReindexStaging, { strict: false }).storedModel();
        const configured = context.get(EmbeddingService, { strict: false }).modelId;
        if (stored === undefined || stored === configured) {
          process.stderr.write(`the database holds ${configured} vectors already; nothing to re-embed\n`);
          return 0;
        }
        process.stderr.write(`the database holds ${stored} vectors, the configured model is ${configured}\n`);
        return enqueueAndFollow(queue, JobName.Reindex, {}, output);
      },
      options,
    );
  },
};

/** `--wait`: alone, since it re-embeds nothing. */
async function waitCommand(flags: Record<string, unknown>, configArgv: readonly string[]): Promise<number> {
  const other = ['if-model-changed', 'in-process', 'json'].find((flag) => flags[flag] !== undefined);
  if (other) return usageError('reindex', `--wait re-embeds nothing: it takes no --${other}`, USAGE);
  const config = loadConfigOrReport(configArgv);
  if (!config) return 78; // EX_CONFIG
  return waitForConfiguredModel(config);
}
