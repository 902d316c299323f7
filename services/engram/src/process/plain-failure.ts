import { StoreBusy } from '../common/domain-errors';
import { DATABASE_BUSY_MESSAGE, isDatabaseBusy } from '../common/error-response';
import { isUnavailable } from '../common/service-unreachable';
import { ConfigError } from '../config/config.loader';

/** What a command prints after "engram: ", and the exit code it stops with. */
export interface PlainFailure {
  line: string;
  exitCode: number;
}

/**
 * The failures that are neither a bug nor a refusal of what was asked, said the same way by every
 * command (serve, worker and stdio mcp at start included): one plain line on stderr, no stack, no JSON,
 * and a sysexits code of their own. Configuration found wrong only when the database opens (a wrong or
 * missing encryption key: the problem names the setting, never its value) is 78 (EX_CONFIG); a server
 * that does not answer is 69 (EX_UNAVAILABLE); a busy store is 75 (EX_TEMPFAIL), the line saying to try
 * again. Undefined for anything else.
 */
export function plainFailure(error: unknown): PlainFailure | undefined {
  if (error instanceof ConfigError) return { line: error.problems.join('; '), exitCode: 78 };
  if (isUnavailable(error)) return { line: (error as Error).message, exitCode: 69 };
  // Held longer than a wait may last by a restore, a reindex switch or another writer (PostgreSQL's lock
  // or statement timeout, every pooled connection in use; SQLite's busy timeout): the same command
  // succeeds once the holder is done.
  if (error instanceof StoreBusy) return { line: error.message, exitCode: 75 };
  if (isDatabaseBusy(error)) return { line: DATABASE_BUSY_MESSAGE, exitCode: 75 };
  return undefined;
}
