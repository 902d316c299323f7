import { parseArgs } from 'node:util';
import { digitsInteger } from '../common/request-fields';

/** A command's own flags, as `util.parseArgs` declares them (long names, without the dashes). */
export type FlagSpec = Record<string, { type: 'string' | 'boolean' }>;

/** The configuration flags (see config.loader); each command takes those it reads. */
export const CONFIG_FLAGS = {
  db: { type: 'string' },
  'env-file': { type: 'string' },
  'embedding-provider': { type: 'string' },
  'log-level': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
} as const satisfies FlagSpec;

export type ConfigFlag = keyof typeof CONFIG_FLAGS;

/** Every configuration flag: the api, and stdio MCP (its links name the api's address). */
export const ALL_CONFIG: readonly ConfigFlag[] = ['db', 'env-file', 'embedding-provider', 'log-level', 'host', 'port'];
/** A command on the store: which database, the model that embeds into it, its log level; no address. */
export const STORE_CONFIG: readonly ConfigFlag[] = ['db', 'env-file', 'embedding-provider', 'log-level'];
/** A command that reads the store's tables without embedding or logging (keys, audit, oauth, encrypt). */
export const TABLES_CONFIG: readonly ConfigFlag[] = ['db', 'env-file'];

export interface ParsedArgs {
  /** This command's own flags: strings, or true for boolean flags given. */
  flags: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** The configuration flags given, as `--name=value`, for the configuration loader. */
  configArgv: string[];
}

/**
 * Parses one command's arguments with `util.parseArgs`. Problems name the flag as the user typed it: a
 * flag not this command's, or a configuration flag it does not read (listing the ones it takes), a string flag with no value (it never swallows
 * the next flag, but takes a negative number, for the flag's own rule to refuse), a boolean flag given
 * a value. Positionals may come before, between or after flags.
 */
export function parseCommandArgs(
  argv: readonly string[],
  own: FlagSpec,
  { config = STORE_CONFIG }: { config?: readonly ConfigFlag[] } = {},
): ParsedArgs | { problem: string } {
  const options: FlagSpec = { ...own, ...Object.fromEntries(config.map((name) => [name, CONFIG_FLAGS[name]])) };
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const parsed: ParsedArgs = { flags: {}, positionals: [], configArgv: [] };
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      parsed.positionals.push(token.value);
      continue;
    }
    const spec = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (!spec) {
      const near = nearestFlag(token.name, Object.keys(options));
      const hint = near ? ` (did you mean --${near}?)` : '';
      return { problem: `unknown option ${token.rawName}${hint}; accepted: ${flagList(options)}` };
    }
    if (spec.type === 'boolean') {
      if (token.value !== undefined) return { problem: `${token.rawName} takes no value` };
      parsed.flags[token.name] = true;
      continue;
    }
    if (token.value === undefined || (!token.inlineValue && isFlagLike(token.value))) {
      return { problem: `${token.rawName} needs a value` };
    }
    if (Object.hasOwn(own, token.name)) parsed.flags[token.name] = token.value;
    else parsed.configArgv.push(`--${token.name}=${token.value}`);
  }
  return parsed;
}

/**
 * An integer flag's value, or the problem in the words of the REST query integers: digits only, so
 * "-1", "1e1", "0x10" and "ten" are refused rather than read as numbers. Nothing when the flag is absent.
 */
export function integerFlag(
  args: ParsedArgs,
  name: string,
  min: number,
  max: number,
): { value?: number; problem?: string } {
  const given = args.flags[name];
  if (given === undefined) return {};
  const parsed = digitsInteger(min, max).safeParse(given);
  return parsed.success ? { value: parsed.data } : { problem: `--${name}: expected an integer from ${min} to ${max}` };
}

/**
 * A decimal flag's value, or the problem: digits with an optional decimal point ("0.85", "2", "2.5"), so
 * "", " 5 ", "1e1", "0x10", "-1" and "Infinity", which Number() reads or turns into 0, are refused. Within
 * [min, max], or (min, max] with `above`. Nothing when the flag is absent.
 */
export function decimalFlag(
  args: ParsedArgs,
  name: string,
  min: number,
  max: number,
  { above = false }: { above?: boolean } = {},
): { value?: number; problem?: string } {
  const given = args.flags[name];
  if (given === undefined) return {};
  const value = typeof given === 'string' && /^\d+(\.\d+)?$/.test(given) ? Number(given) : NaN;
  if ((above ? value > min : value >= min) && value <= max) return { value };
  const range = above ? `above ${min}, at most ${max}` : `from ${min} to ${max}`;
  return { problem: `--${name}: expected a number ${range} (digits, with a decimal point if need be: 0.85)` };
}

/**
 * The accepted flag a mistyped one most likely meant: the only one it is a prefix of or that is a prefix of
 * it (--tag, --namespaces), else the nearest within one edit for a name of four letters or more (two from
 * seven letters). Names longer than any flag by far are not compared, so a long argument costs nothing.
 */
export function nearestFlag(name: string, accepted: readonly string[]): string | undefined {
  if (name.length < 3 || name.length > 40) return undefined;
  const prefixed = accepted.filter((flag) => flag.startsWith(name) || name.startsWith(flag));
  if (prefixed.length === 1) return prefixed[0];
  if (name.length < 4) return undefined;
  // Two edits turn --port into --host: only a longer name may be that far off.
  const allowed = name.length >= 7 ? 2 : 1;
  const scored = accepted
    .map((flag) => ({ flag, distance: editDistance(name, flag) }))
    .filter(({ distance }) => distance <= allowed)
    .sort((a, b) => a.distance - b.distance);
  return scored.length > 0 && scored[0].distance < (scored[1]?.distance ?? Infinity) ? scored[0].flag : undefined;
}

/** Levenshtein distance (insertions, deletions, substitutions), two rows at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** A flag, not a value: `-x`, `--name`; a negative number ("-1", "-0.5") is a value. */
function isFlagLike(value: string): boolean {
  return value.startsWith('-') && !/^-\d/.test(value);
}

/** True when the arguments ask for help (`--help` or `-h` anywhere before `--`). */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

function flagList(options: FlagSpec): string {
  return Object.keys(options)
    .map((name) => `--${name}`)
    .join(', ');
}
