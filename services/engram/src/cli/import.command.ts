import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { IMPORT_SOURCES } from '../importers/import.types';
import { ImportJobData, JobName } from '../jobs/job.types';
import { CliCommand } from './cli-command';
import { runJobCommand, splitPositionals } from './job-command';

const USAGE = `usage: engram import <source> <file-or-folder> [--to memories|memory-dir] [--dry-run] [--namespace <ns>] [config flags]
  source: auto, ${IMPORT_SOURCES.join(', ')}`;

/**
 * `engram import <source> <file>`: an import job for a file or folder on this machine, run in this
 * process without Redis (or queued for the worker with it, which must see the same path), with a
 * progress bar and the summary at the end. The operator may name any path they can read; the
 * ENGRAM_IMPORT_DIR rule guards the HTTP route.
 */
export const importCommand: CliCommand = {
  summary: 'import an export or documents (ChatGPT, Claude, Notion, markdown, PDFs, MCP Memory Service, …)',
  async run(argv) {
    const { positionals, configArgv } = splitPositionals(argv);
    const options = ownOptions(configArgv);
    const [source, file] = positionals;
    if (!source || !file || positionals.length > 2 || !['auto', ...IMPORT_SOURCES].includes(source) || !options) {
      process.stderr.write(`${USAGE}\n`);
      return 64; // EX_USAGE
    }
    const location = resolve(file);
    if (!(await stat(location).catch(() => undefined))) {
      process.stderr.write(`engram import: ${file} does not exist\n`);
      return 66; // EX_NOINPUT
    }
    const data: ImportJobData = { source, ...options.job, input: { kind: 'local', path: location } };
    return runJobCommand(JobName.Import, data, options.configArgv);
  },
};

/** This command's own flags, and the configuration flags (`--db`, `--env-file`, …) left for the loader. */
function ownOptions(argv: readonly string[]) {
  const job: Omit<ImportJobData, 'source' | 'input'> = { target: 'memories', dryRun: false, namespace: 'default' };
  const configArgv: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--dry-run') job.dryRun = true;
    else if (flag === '--to') {
      const target = value();
      if (target !== 'memories' && target !== 'memory-dir' && target !== 'agent') return undefined;
      job.target = target === 'agent' ? 'memory-dir' : target;
    } else if (flag === '--namespace') {
      const namespace = value();
      if (!namespace || !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(namespace)) return undefined;
      job.namespace = namespace;
    } else configArgv.push(argv[i]);
  }
  return { job, configArgv };
}
