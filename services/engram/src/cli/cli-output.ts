import { DomainError } from '../common/domain-errors';
import { plainFailure } from '../process/plain-failure';
import { ConfigFlag, STORE_CONFIG } from './cli-args';
import { describeRefusal } from './flag-issues';

/** Output helpers shared by the commands: JSON for scripts (`--json`), aligned tables for people. */
export function printJson(value: unknown): number {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  return 0;
}

/** Columns padded to their widest cell; a header row first. */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[]): number {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${[header, ...rows].map(line).join('\n')}\n`);
  return 0;
}

/** A usage error: the problem, then the command's usage, on stderr; 64 (EX_USAGE). */
export function usageError(command: string, problem: string, usage: string): number {
  process.stderr.write(`engram ${command}: ${problem}\n${usage}\n`);
  return 64;
}

/**
 * A service's refusal of the command's request, in one line after the flag it is about (flagOf names the
 * flag that fills a request field); 64 (EX_USAGE) for input it refused (400), else 1. Anything else is
 * rethrown for engram.ts to say: what plainFailure knows (the embedding endpoint gone mid-command, 69; a
 * store busy with a restore or another writer, 75) in one line, a bug with its stack.
 */
export function refusal(command: string, error: unknown, flagOf: (field: string) => string | undefined): number {
  if (!(error instanceof DomainError) || plainFailure(error)) throw error;
  process.stderr.write(`engram ${command}: ${describeRefusal(error, flagOf)}\n`);
  return error.status === 400 ? 64 : 1;
}

const CONFIG_VALUES: Record<ConfigFlag, string> = {
  db: '<file>',
  'env-file': '<file>',
  'embedding-provider': '<name>',
  'log-level': '<level>',
  host: '<addr>',
  port: '<n>',
};

/** The usage line of the configuration flags a command takes. */
export function configUsage(flags: readonly ConfigFlag[] = STORE_CONFIG): string {
  return `configuration flags (over the environment): ${flags.map((flag) => `--${flag} ${CONFIG_VALUES[flag]}`).join(', ')}`;
}
