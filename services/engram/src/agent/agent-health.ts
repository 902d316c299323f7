import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { SandboxService } from '../sandbox/sandbox.service';

const PROBE_TIMEOUT_MS = 2000;
/** Readiness probes come every few seconds; the model endpoint is asked at most this often. */
const CACHE_MS = 10_000;

/**
 * The memory agent in /health/ready: its model endpoint (reachable, model listed by GET /models) and
 * its sandbox. Always "up": the rest of Engram works without the agent, so a missing GPU must not take
 * the api out of its load balancer; problems show as `degraded` with a message.
 */
@Injectable()
export class AgentHealth {
  private cached: { at: number; details: Record<string, unknown> } | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sandbox: SandboxService,
  ) {}

  async check(indicator: HealthIndicatorService): Promise<HealthIndicatorResult> {
    const check = indicator.check('model_endpoint');
    if (Date.now() - (this.cached?.at ?? 0) > CACHE_MS) this.cached = { at: Date.now(), details: await this.probe() };
    return check.up(this.cached!.details);
  }

  private async probe(): Promise<Record<string, unknown>> {
    const { baseUrl, model, provider, apiKey, fallback } = this.config.agent;
    if (!baseUrl) return { configured: false, message: 'memory agent disabled: no model endpoint configured' };
    const isolation = await this.sandbox.detect();
    const sandbox = isolation.available ? isolation.mode : 'unavailable';
    const primary = await probeEndpoint(baseUrl, apiKey, model);
    // The fallback answers when the primary cannot, so readiness shows whether it could.
    const backup = fallback && (await probeEndpoint(fallback.baseUrl, fallback.apiKey, fallback.model));
    const problem =
      primary.error !== undefined
        ? `model endpoint unreachable: ${primary.error}`
        : this.problem(primary.reachable, primary.model_listed, sandbox);
    return {
      configured: true,
      provider,
      model,
      reachable: primary.reachable,
      ...(primary.error === undefined ? { model_listed: primary.model_listed } : {}),
      sandbox,
      ...(backup
        ? {
            fallback: {
              provider: fallback.provider,
              model: fallback.model,
              reachable: backup.reachable,
              model_listed: backup.model_listed,
            },
          }
        : {}),
      ...(problem ? { degraded: true, message: problem } : {}),
    };
  }

  private problem(reachable: boolean, listed: boolean, sandbox: string): string {
    if (!reachable) return 'model endpoint answered an error';
    if (!listed) return `the endpoint does not list ${this.config.agent.model} (AGENT_MODEL)`;
    return sandbox === 'unavailable' ? 'no sandbox isolation: the agent refuses to run code' : '';
  }
}

/** Whether an OpenAI-compatible endpoint answers GET /models and lists `model`. */
async function probeEndpoint(
  baseUrl: string,
  apiKey: string | undefined,
  model: string,
): Promise<{ reachable: boolean; model_listed: boolean; error?: string }> {
  try {
    const response = await fetch(`${baseUrl}/models`, {
      headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    const body = (await response.json().catch(() => ({}))) as { data?: { id?: string }[] };
    return { reachable: response.ok, model_listed: body.data?.some((entry) => entry.id === model) ?? false };
  } catch (error) {
    return { reachable: false, model_listed: false, error: (error as Error).message };
  }
}
