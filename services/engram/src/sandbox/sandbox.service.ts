import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { EngramMetrics } from '../metrics/engram-metrics';
import { detectIsolation, IsolationReport } from './sandbox-isolation';
import { CallHandler, SandboxOutcome, SandboxRunner } from './sandbox.runner';
import { traced } from '../tracing/spans';

/** No isolation works here: model-written code is never run unprotected. */
export class SandboxUnavailable extends Error {}

/**
 * Runs model-written code in the isolation detected once at start-up, and counts how long runs take
 * and which limits they hit.
 */
@Injectable()
export class SandboxService {
  private readonly logger = new Logger('Sandbox');
  private readonly runner = new SandboxRunner();
  private isolation: Promise<IsolationReport> | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly metrics?: EngramMetrics,
  ) {}

  /** Probes once (about 50 ms per mode tried) and logs the outcome; later calls reuse it. */
  detect(): Promise<IsolationReport> {
    this.isolation ??= detectIsolation(this.config.sandbox, this.runner, this.config.memoryDir).then((report) => {
      if (report.available) {
        this.logger.log({ msg: 'sandbox ready', mode: report.mode, landlock_abi: report.landlockAbi });
      } else {
        this.logger.warn({
          msg: 'No sandbox isolation works here: the memory agent will refuse to run code (503). See docs/agent.md, "Sandbox".',
          problems: report.problems,
        });
      }
      return report;
    });
    return this.isolation;
  }

  /** `signal`: the question was cancelled or interrupted; the run is stopped at once. */
  async run(
    hostMemoryRoot: string,
    code: string,
    maxValueChars: number,
    onCall: CallHandler,
    signal?: AbortSignal,
  ): Promise<SandboxOutcome> {
    const isolation = await this.detect();
    if (!isolation.available) {
      throw new SandboxUnavailable(`no sandbox isolation is available: ${isolation.problems.join('; ')}`);
    }
    const { timeoutMs, memoryBytes, python } = this.config.sandbox;
    const run = () =>
      this.runner.run({
        mode: isolation.mode,
        python,
        hostMemoryRoot,
        code,
        limits: { timeoutMs, memoryBytes, maxValueChars },
        onCall,
        signal,
      });
    const outcome = await traced('sandbox.run', { 'engram.sandbox.mode': isolation.mode }, async (span) => {
      const result = await run();
      span.setAttribute('engram.sandbox.outcome', result.kind === 'error' ? (result.violation ?? 'error') : 'ok');
      return result;
    });
    this.metrics?.sandboxDuration.observe({ mode: isolation.mode }, outcome.durationMs / 1000);
    if (outcome.kind === 'error' && outcome.violation) this.metrics?.sandboxViolations.inc({ kind: outcome.violation });
    if (outcome.kind === 'error' && outcome.violation === 'crash') {
      this.logger.warn({ msg: 'sandboxed run crashed', error: outcome.error, diagnostics: outcome.diagnostics });
    }
    return outcome;
  }

  /** Counts a refusal the memory functions made (a path outside the memory, a size limit). */
  countViolation(kind: 'path' | 'limit'): void {
    this.metrics?.sandboxViolations.inc({ kind });
  }
}
