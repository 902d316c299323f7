import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { counted } from '../common/counted';
import { IMPORT_SOURCES } from '../imports/imports.types';
import { ImportJobData, JobName } from '../jobs/job.types';
import { parseCommandArgs } from './cli-args';
import { CliCommand } from './cli-command';
import { configUsage, usageError } from './cli-output';
import { runJobCommand } from './job-command';

const USAGE = `usage: engram import <source> <file-or-folder> [--to memories|memory-dir] [--dry-run] [--namespace <ns>] [--json]
  source: auto, ${IMPORT_SOURCES.join(', ')}
  names why items failed (the first 5 on stderr; --json lists up to 50); exits 1 when every item failed
  ${configUsage()}`;

const FLAGS = {
  to: { type: 'string' },
  'dry-run': { type: 'boolean' },
  namespace: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/**
 * `engram import <source> <file>`: an import job for a file or folder on this machine, run in this
 * process without Redis (or queued for the worker with it, which must see the same path), with a
 * progress bar and a summary at the end. The operator may name any path they can read; the
 * ENGRAM_IMPORT_DIR rule guards the HTTP route.
 */
export const importCommand: CliCommand = {
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(argv, FLAGS);
    if ('problem' in args) return usageError('import', args.problem, USAGE);
    const problem = usageProblem(args.positionals, args.flags);
    if (problem) return usageError('import', problem, USAGE);
    const [source, file] = args.positionals;
    const location = resolve(file);
    if (!(await stat(location).catch(() => undefined))) {
      process.stderr.write(`engram import: ${file} does not exist\n`);
      return 66; // EX_NOINPUT
    }
    const to = args.flags.to ?? 'memories';
    const data: ImportJobData = {
      source,
      target: to === 'memories' ? 'memories' : 'memory-dir',
      dryRun: args.flags['dry-run'] === true,
      namespace: typeof args.flags.namespace === 'string' ? args.flags.namespace : 'default',
      input: { kind: 'local', path: location },
    };
    return runJobCommand(JobName.Import, data, args.configArgv, {
      json: args.flags.json === true,
      summarize,
      problems: failureLines,
      failed: everyItemFailed,
    });
  },
};

function usageProblem(positionals: string[], flags: Record<string, string | boolean | undefined>): string | undefined {
  const [source, file] = positionals;
  if (!source || !file) return 'name the source and the file or folder';
  if (positionals.length > 2) return `unexpected "${positionals[2]}"`;
  if (!['auto', ...IMPORT_SOURCES].includes(source)) return `unknown source "${source}"`;
  if (flags.to !== undefined && !['memories', 'memory-dir', 'agent'].includes(String(flags.to))) {
    return `--to ${String(flags.to)}: expected memories or memory-dir`;
  }
  const namespace = flags.namespace;
  if (namespace !== undefined && !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(String(namespace))) {
    return `--namespace ${String(namespace)}: lowercase letters, digits, - and _ (at most 64)`;
  }
  return undefined;
}

/** Failed items named with their reason on a terminal; the job's result lists up to 50 (all with --json). */
const SHOWN_FAILURES = 5;

/** Why items failed, the first few, then how many more. */
function failureLines(result: Record<string, unknown>): string[] {
  const listed = Array.isArray(result.failures) ? (result.failures as { item: string; reason: string }[]) : [];
  const lines = listed.slice(0, SHOWN_FAILURES).map(({ item, reason }) => `failed: ${item}: ${reason}`);
  const more = Number(result.failed ?? 0) - lines.length;
  const where = listed.length < Number(result.failed) ? `the first ${listed.length}` : 'them all';
  if (more > 0) lines.push(`and ${more} more failed (--json lists ${where})`);
  return lines;
}

/** Items that failed to read are not in items_read; items that failed to store are not stored. */
function everyItemFailed(result: Record<string, unknown>): boolean {
  const n = (field: string) => Number(result[field] ?? 0);
  if (n('failed') === 0) return false;
  return result.dry_run ? n('items_read') === 0 : n('stored') + n('duplicates') === 0;
}

/** One line for people: what was stored (or would be), duplicates and failures. */
function summarize(result: Record<string, unknown>): string {
  const n = (field: string) => Number(result[field] ?? 0);
  const from = `from ${String(result.file)} (${String(result.source_label ?? result.source)})`;
  const duplicates = counted(n('duplicates'), 'duplicate', 'duplicates');
  const rest = `${duplicates}, ${n('failed')} failed, ${n('duration_seconds').toFixed(1)} s`;
  if (result.target === 'memory-dir') {
    const files = counted(Array.isArray(result.files_written) ? result.files_written.length : 0, 'file', 'files');
    return `${result.dry_run ? 'dry run: would write' : 'wrote'} ${files} to the memory directory ${from}; ${rest}`;
  }
  const read = counted(n('items_read'), 'memory', 'memories');
  if (result.dry_run)
    return `dry run: would store ${n('items_read') - n('duplicates') - n('failed')} of ${read} ${from}; ${rest}`;
  return `stored ${n('stored')} of ${read} ${from}; ${rest}`;
}
