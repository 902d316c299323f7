/**
 * Parses and validates MCP_MEMORY_SQLITE_PRAGMAS: a comma list of `name=value` laid over safe defaults.
 * Only pragmas we understand are accepted, each with its own value check, so a typo cannot silently
 * weaken durability (journal_mode must stay WAL; synchronous=OFF is refused).
 */
export const DEFAULT_PRAGMAS: Readonly<Record<string, string>> = {
  journal_mode: 'WAL',
  busy_timeout: '5000',
  synchronous: 'NORMAL',
  cache_size: '10000',
  temp_store: 'MEMORY',
};

type ValueCheck = (value: string) => string | undefined;

const integerAtLeast =
  (min: number): ValueCheck =>
  (value) =>
    /^-?\d+$/.test(value) && Number(value) >= min ? undefined : `an integer >= ${min}`;

const oneOf =
  (...allowed: string[]): ValueCheck =>
  (value) =>
    allowed.includes(value.toUpperCase()) ? undefined : `one of ${allowed.join(', ')}`;

const PRAGMA_CHECKS: Record<string, ValueCheck> = {
  journal_mode: oneOf('WAL'),
  busy_timeout: integerAtLeast(0),
  synchronous: oneOf('NORMAL', 'FULL', 'EXTRA', '1', '2', '3'),
  cache_size: integerAtLeast(-1_000_000_000),
  temp_store: oneOf('DEFAULT', 'FILE', 'MEMORY', '0', '1', '2'),
  mmap_size: integerAtLeast(0),
  wal_autocheckpoint: integerAtLeast(0),
  journal_size_limit: integerAtLeast(-1),
};

export const SUPPORTED_PRAGMAS = Object.keys(PRAGMA_CHECKS);

export interface PragmaParseResult {
  pragmas: Record<string, string>;
  errors: string[];
}

export function parseSqlitePragmas(raw: string | undefined, variable: string): PragmaParseResult {
  const pragmas: Record<string, string> = { ...DEFAULT_PRAGMAS };
  const errors: string[] = [];
  if (raw === undefined || raw.trim() === '') return { pragmas, errors };

  // The deployment guide's example spans several lines: whitespace and newlines around items are ignored.
  for (const item of raw.split(/[,\n]/).map((part) => part.trim())) {
    if (item === '') continue;
    const [name, value, ...rest] = item.split('=').map((part) => part.trim());
    const key = name.toLowerCase();
    if (value === undefined || value === '' || rest.length > 0) {
      errors.push(`${variable}: "${item}" is not of the form name=value`);
      continue;
    }
    const check = PRAGMA_CHECKS[key];
    if (!check) {
      errors.push(`${variable}: unknown pragma "${name}"; accepted: ${SUPPORTED_PRAGMAS.join(', ')}`);
      continue;
    }
    const problem = check(value);
    if (problem) {
      errors.push(`${variable}: ${key}=${value} is not accepted; expected ${problem}`);
      continue;
    }
    pragmas[key] = /^[a-z]+$/i.test(value) ? value.toUpperCase() : value;
  }
  return { pragmas, errors };
}
