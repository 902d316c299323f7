import { DomainError } from '../common/domain-errors';
import { DATABASE_BUSY_MESSAGE, isDatabaseBusy } from '../common/error-response';
import { ServiceUnreachable } from '../common/service-unreachable';
import { ConfigError } from '../config/config.loader';

/** What a command prints after "engram: ", and the exit code it stops with. */
export interface PlainFailure {
  line: string;
  exitCode: number;
}

/**
 * A stable name for why work failed, kept beside its message where only the two travel (a failed job's
 * `error_code`, across processes with BullMQ): a domain error's own code (`store_busy`, `backup_corrupted`,
 * `import_rejected`, …, as REST answers it), SQLite's busy timeout as `database_busy` (as REST answers it
 * too), and the start-up failures that have no HTTP code. Undefined for anything else (a bug, a disk error).
 */
export function failureCode(error: unknown): string | undefined {
  if (error instanceof DomainError) return error.code;
  if (isDatabaseBusy(error)) return 'database_busy';
  if (error instanceof ConfigError) return 'invalid_configuration';
  if (error instanceof ServiceUnreachable) return 'service_unreachable';
  return undefined;
}

/**
 * The failures that are neither a bug nor a refusal of what was asked, by code, with the exit code every
 * command says them with: configuration found wrong only when the database opens (a wrong or missing
 * encryption key: the problem names the setting, never its value; a refused PostgreSQL login) is 78
 * (EX_CONFIG); a server that does not answer is 69 (EX_UNAVAILABLE); a busy store is 75 (EX_TEMPFAIL), the
 * line saying to try again. Held longer than a wait may last by a restore, a reindex switch or another
 * writer (PostgreSQL's lock or statement timeout, every pooled connection in use; SQLite's busy timeout),
 * the same command succeeds once the holder is done.
 */
const PLAIN_EXIT_CODES: Readonly<Record<string, number>> = {
  invalid_configuration: 78,
  service_unreachable: 69,
  embedding_unavailable: 69,
  store_busy: 75,
  database_busy: 75,
};

/**
 * A store held busy past the wait the work was allowed (StoreBusy, SQLite's busy timeout): the same work
 * succeeds once the holder is done, which nothing here can hasten.
 */
export function isStoreBusy(error: unknown): boolean {
  const code = failureCode(error);
  return code === 'store_busy' || code === 'database_busy';
}

/**
 * What a job that failed with a code of its own says to the command that ran it, beyond the plain
 * failures: the input it names is gone (a backup deleted meanwhile) 66 (EX_NOINPUT), as `engram restore`
 * answers an unknown backup before queueing; the input cannot be read as asked (a corrupt or foreign
 * backup, an export that is not what its source says) 65 (EX_DATAERR).
 */
const JOB_EXIT_CODES: Readonly<Record<string, number>> = {
  ...PLAIN_EXIT_CODES,
  not_found: 66,
  backup_corrupted: 65,
  backup_incompatible: 65,
  import_rejected: 65,
};

/**
 * The failures every command (serve, worker and stdio mcp at start included) says the same way: one plain
 * line on stderr, no stack, no JSON, and a sysexits code of their own (PLAIN_EXIT_CODES). Undefined for
 * anything else.
 */
export function plainFailure(error: unknown): PlainFailure | undefined {
  const exitCode = PLAIN_EXIT_CODES[failureCode(error) ?? ''];
  if (exitCode === undefined) return undefined;
  if (error instanceof ConfigError) return { line: error.problems.join('; '), exitCode };
  if (isDatabaseBusy(error)) return { line: DATABASE_BUSY_MESSAGE, exitCode };
  return { line: (error as Error).message, exitCode };
}

/** The exit code of a command whose job failed with `code` (its `error_code`); 1 for a failure of no known kind. */
export function failedJobExitCode(code: string | undefined): number {
  return (code !== undefined && JOB_EXIT_CODES[code]) || 1;
}
