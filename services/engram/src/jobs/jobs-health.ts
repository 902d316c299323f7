import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { JOB_QUEUE, JobQueue } from './job-queue';
import { PROCESS_ROLE, ProcessRole } from './process-role';

const PING_TIMEOUT_MS = 1000;

/**
 * The job queue in readiness. Inline: always up. Redis: the worker is not ready without it; the api
 * stays ready (memories are served without Redis) and reports itself degraded.
 */
@Injectable()
export class JobsHealth {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @Inject(PROCESS_ROLE) private readonly role: ProcessRole,
  ) {}

  async check(): Promise<HealthIndicatorResult> {
    const check = this.health.check('queue');
    if (this.queue.kind === 'inline') return check.up({ mode: 'inline' });
    try {
      await withTimeout(this.queue.ping(), PING_TIMEOUT_MS);
      return check.up({ mode: 'bullmq', redis: 'up' });
    } catch (error) {
      const message = `Redis unreachable: ${(error as Error).message}`;
      if (this.role === 'worker') return check.down({ mode: 'bullmq', redis: 'down', message });
      return check.up({ mode: 'bullmq', redis: 'down', degraded: true, message: `${message}; jobs are unavailable` });
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
