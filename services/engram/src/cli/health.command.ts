import { loadConfigOrReport } from '../config/config.loader';
import { probeServing } from '../health/serving-probe';
import { SERVING_ROLES, ServingRecordRepository, ServingRole } from '../health/serving-record.repository';
import { ConfigFlag, decimalFlag, FlagSpec, parseCommandArgs } from './cli-args';
import { CliCommand } from './cli-command';
import { configUsage, usageError } from './cli-output';

/** Only MCP_API_KEY is read (for --ready): the address is the one the server recorded when it started. */
const CONFIG: readonly ConfigFlag[] = ['env-file'];

const USAGE = `usage: engram health [api|worker] [--ready] [--timeout <seconds>]
  without a role: whichever of the api and the worker runs here; --ready: /health/ready with MCP_API_KEY
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
    const records = new ServingRecordRepository();
    const roles = role ? [role as ServingRole] : SERVING_ROLES.filter((name) => records.read(name));
    if (roles.length === 0) {
      process.stderr.write('engram health: no Engram api or worker has started listening here\n');
      return 1;
    }
    const apiKey = ready ? loadConfigOrReport(parsed.configArgv)?.auth.apiKey : undefined;
    let healthy = true;
    for (const name of roles) {
      const record = records.read(name);
      const result = record
        ? await probeServing(record, { ready, apiKey, timeoutMs: seconds * 1000 })
        : { healthy: false, summary: 'not listening (it has not started, or it stopped)' };
      healthy &&= result.healthy;
      const line = `engram ${name}: ${result.healthy ? 'healthy' : 'unhealthy'}: ${result.summary}\n`;
      (result.healthy ? process.stdout : process.stderr).write(line);
    }
    return healthy ? 0 : 1;
  },
};
