import { loadConfigOrReport } from '../config/config.loader';
import { AppConfig } from '../config/config.types';
import { ProbeResult, probeServing } from '../health/serving-probe';
import {
  SERVING_ROLES,
  servingInstance,
  ServingRecordRepository,
  ServingRole,
} from '../health/serving-record.repository';
import { storeLocation } from '../storage/store-location';
import { ConfigFlag, decimalFlag, FlagSpec, parseCommandArgs } from './cli-args';
import { CliCommand } from './cli-command';
import { configUsage, usageError } from './cli-output';

/**
 * Which server to check: the one of this database and configured port (--port for the api,
 * WORKER_HTTP_PORT for the worker), as the environment gives them to a container's health check; with
 * port 0, every live one of that database configured so. The address probed is the one the server
 * recorded when it started; MCP_API_KEY is read for --ready.
 */
const CONFIG: readonly ConfigFlag[] = ['db', 'env-file', 'port'];

const USAGE = `usage: engram health [api|worker] [--ready] [--timeout <seconds>]
  without a role: whichever of the api and the worker runs here; --ready: /health/ready with MCP_API_KEY
  the api or worker of the configured database and port (--db, --port for the api, WORKER_HTTP_PORT for
  the worker, or the environment, as the server was given them), on the address it recorded when it started;
  with port 0, each running server of that database given port 0
  exit 0 healthy, 1 not (or nothing runs here)
  ${configUsage(CONFIG)}`;

const FLAGS: FlagSpec = { ready: { type: 'boolean' }, timeout: { type: 'string' } };

/**
 * The container health check (image HEALTHCHECK, compose, the chart's readiness probe): asks the api or
 * worker serving here on the port it recorded when it started listening. Without a role it checks
 * whichever ran here, so one image health check fits both.
 */
export const healthCommand: CliCommand = {
  usage: USAGE,
  async run(argv) {
    const parsed = parseCommandArgs(argv, FLAGS, { config: CONFIG });
    if ('problem' in parsed) return usageError('health', parsed.problem, USAGE);
    const [role, ...extra] = parsed.positionals;
    if (extra.length > 0 || (role !== undefined && !(SERVING_ROLES as readonly string[]).includes(role))) {
      return usageError('health', `unexpected argument "${extra[0] ?? role}"`, USAGE);
    }
    const timeout = decimalFlag(parsed, 'timeout', 0, 300, { above: true });
    if (timeout.problem) return usageError('health', timeout.problem, USAGE);
    const seconds = timeout.value ?? 4;
    const ready = parsed.flags.ready === true;
    const config = loadConfigOrReport(parsed.configArgv);
    if (!config) return 78; // EX_CONFIG
    const records = new ServingRecordRepository();
    const served = (role ? [role as ServingRole] : SERVING_ROLES)
      .map((name) => ({ name, found: records.find(servingInstance(name, config)) }))
      .filter(({ found }) => role !== undefined || found.length > 0);
    if (served.length === 0) return nothingListening(config);
    const options = { ready, apiKey: ready ? config.auth.apiKey : undefined, timeoutMs: seconds * 1000 };
    let healthy = true;
    for (const { name, found } of served) {
      const results =
        found.length > 0
          ? await Promise.all(found.map((record) => probeServing(record, options)))
          : [{ healthy: false, summary: 'not listening (it has not started, or it stopped)' }];
      for (const result of results) healthy = reportProbe(name, result) && healthy;
    }
    return healthy ? 0 : 1;
  },
};

/** One line for one server: healthy on stdout, unhealthy on stderr; returns whether it is healthy. */
function reportProbe(role: ServingRole, { healthy, summary }: ProbeResult): boolean {
  (healthy ? process.stdout : process.stderr).write(
    `engram ${role}: ${healthy ? 'healthy' : 'unhealthy'}: ${summary}\n`,
  );
  return healthy;
}

/** No record for this configuration: one line naming the database and ports looked for; exit 1. */
function nothingListening(config: AppConfig): number {
  const ports = `api port ${config.http.port}, worker port ${config.worker.httpPort}`;
  process.stderr.write(
    `engram health: no Engram api or worker has started listening here for ${storeLocation(config.storage)} (${ports})\n`,
  );
  return 1;
}
