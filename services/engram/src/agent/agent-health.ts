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
    const { baseUrl, model, provider, apiKey } = this.config.agent;
    if (!baseUrl) return { configured: false, message: 'memory agent disabled: no model endpoint configured' };
    const isolation = await this.sandbox.detect();
    const sandbox = isolation.available ? isolation.mode : 'unavailable';
    try {
      const response = await fetch(`${baseUrl}/models`, {
        headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      });
      const body = (await response.json().catch(() => ({}))) as { data?: { id?: string }[] };
      const listed = body.data?.some((entry) => entry.id === model) ?? false;
      const healthy = response.ok && listed && isolation.available;
      return {
        configured: true,
        provider,
        model,
        reachable: response.ok,
        model_listed: listed,
        sandbox,
        ...(healthy ? {} : { degraded: true, message: this.problem(response.ok, listed, sandbox) }),
      };
    } catch (error) {
      return {
        configured: true,
        provider,
        model,
        reachable: false,
        sandbox,
        degraded: true,
        message: `model endpoint unreachable: ${(error as Error).message}`,
      };
    }
  }

  private problem(reachable: boolean, listed: boolean, sandbox: string): string {
    if (!reachable) return 'model endpoint answered an error';
    if (!listed) return `the endpoint does not list ${this.config.agent.model} (AGENT_MODEL)`;
    return sandbox === 'unavailable' ? 'no sandbox isolation: the agent refuses to run code' : '';
  }
}
