import { probeServing } from '../health/serving-probe';
import { SERVING_ROLES, ServingRecordRepository, ServingRole } from '../health/serving-record.repository';
import { loadConfigOrReport } from '../config/config.loader';
import { CliCommand } from './cli-command';

const USAGE = 'usage: engram health [api|worker] [--ready] [--timeout <seconds>]';

interface HealthArguments {
  role?: ServingRole;
  ready: boolean;
  timeoutMs: number;
}

/**
 * The container health check (image HEALTHCHECK, compose, the chart's readiness probe): asks the api or
 * worker serving here on the port it recorded when it started listening. Without a role it checks
 * whichever ran here, so one image health check fits both. Exit 0 healthy, 1 not, 64 bad usage.
 */
export const healthCommand: CliCommand = {
  summary: 'check the api or worker running here (exit 0 healthy, 1 not): the container health check',
  async run(argv) {
    const parsed = parseArguments(argv);
    if (typeof parsed === 'string') {
      process.stderr.write(`engram health: ${parsed}\n${USAGE}\n`);
      return 64; // EX_USAGE
    }
    const records = new ServingRecordRepository();
    const roles = parsed.role ? [parsed.role] : SERVING_ROLES.filter((role) => records.read(role));
    if (roles.length === 0) {
      process.stderr.write('engram health: no Engram api or worker has started listening here\n');
      return 1;
    }
    const apiKey = parsed.ready ? loadConfigOrReport([])?.auth.apiKey : undefined;
    let healthy = true;
    for (const role of roles) {
      const record = records.read(role);
      const result = record
        ? await probeServing(record, { ready: parsed.ready, apiKey, timeoutMs: parsed.timeoutMs })
        : { healthy: false, summary: 'not listening (it has not started, or it stopped)' };
      healthy &&= result.healthy;
      const line = `engram ${role}: ${result.healthy ? 'healthy' : 'unhealthy'}: ${result.summary}\n`;
      (result.healthy ? process.stdout : process.stderr).write(line);
    }
    return healthy ? 0 : 1;
  },
};

function parseArguments(argv: readonly string[]): HealthArguments | string {
  const parsed: HealthArguments = { ready: false, timeoutMs: 4000 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--ready') parsed.ready = true;
    else if (arg === '--timeout') {
      const seconds = Number(argv[++i]);
      if (!(seconds > 0 && seconds <= 300)) return '--timeout needs a number of seconds above 0, at most 300';
      parsed.timeoutMs = seconds * 1000;
    } else if ((SERVING_ROLES as readonly string[]).includes(arg) && !parsed.role) parsed.role = arg as ServingRole;
    else return `unexpected argument "${arg}"`;
  }
  return parsed;
}
