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
 * that does not answer is 69 (EX_UNAVAILABLE). Undefined for anything else.
 */
export function plainFailure(error: unknown): PlainFailure | undefined {
  if (error instanceof ConfigError) return { line: error.problems.join('; '), exitCode: 78 };
  if (isUnavailable(error)) return { line: (error as Error).message, exitCode: 69 };
  return undefined;
}
