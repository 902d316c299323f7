import type { PlainFailure } from './plain-failure';

/** Where a process listens and the settings that choose it, as the operator would change them. */
export interface ListenTarget {
  host: string;
  port: number;
  /** The settings of the port, e.g. `MCP_HTTP_PORT or --port`, `WORKER_HTTP_PORT`. */
  portSetting: string;
}

const HOST_SETTING = 'MCP_HTTP_HOST (or --host)';
const HOST_CHOICES =
  '127.0.0.1 for this machine only, 0.0.0.0 (or ::) for every interface, or one of its own addresses';

/**
 * The error codes of a listen that failed for where it was asked to listen, not for a bug: Nest logs each
 * with its stack before the caller says it in one line (process/logger.ts leaves that copy out).
 */
export const LISTEN_ERROR_CODES: readonly string[] = [
  'EADDRINUSE',
  'EADDRNOTAVAIL',
  'EACCES',
  'ENOTFOUND',
  'EAI_AGAIN',
];

/**
 * A listen refused for its address or port, in one line naming the setting to change: a port in use or
 * above what may bind it (69, 77), a host that is no address of this machine or no name at all (78, as
 * any other wrong setting). Without it `MCP_HTTP_HOST=10.0.0.9` ended start-up with Node's bare
 * `listen EADDRNOTAVAIL` as a JSON log line and exit 1. Undefined for any other failure.
 */
export function listenFailure(error: unknown, target: ListenTarget): PlainFailure | undefined {
  const { host, port, portSetting } = target;
  switch ((error as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE':
      return {
        line: `port ${port} on ${host} is in use (another Engram?); stop it or choose another port with ${portSetting}`,
        exitCode: 69, // EX_UNAVAILABLE
      };
    case 'EACCES':
      return {
        line: `port ${port} on ${host} needs privileges this process does not have; choose a port from 1024 up with ${portSetting}`,
        exitCode: 77, // EX_NOPERM
      };
    case 'EADDRNOTAVAIL':
      return {
        line: `${host} is not an address of this machine, so nothing can listen on it; set ${HOST_SETTING} to ${HOST_CHOICES}`,
        exitCode: 78, // EX_CONFIG
      };
    case 'ENOTFOUND':
      return {
        line: `${host} is not a host name this machine can resolve; set ${HOST_SETTING} to ${HOST_CHOICES}`,
        exitCode: 78,
      };
    case 'EAI_AGAIN':
      return {
        line: `${host} could not be resolved (the name server did not answer); try again, or set ${HOST_SETTING} to an address`,
        exitCode: 69,
      };
    default:
      return undefined;
  }
}
