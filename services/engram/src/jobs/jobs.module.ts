import { BeforeApplicationShutdown, DynamicModule, Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AuditedJobQueue } from '../audit/job-audit';
import { AuditService } from '../audit/audit.service';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { RedisKeys } from '../config/redis-keys';
import { EventBus } from '../events/event-bus';
import { EngramMetrics } from '../metrics/engram-metrics';
import { StorageModule } from '../storage/storage.module';
import { BullMqJobQueue } from './bullmq-job.queue';
import { InlineJobQueue } from './inline-job.queue';
import { JobProcessors } from './job-processor';
import { JOB_QUEUE, JobQueue } from './job-queue';
import { JobRunner } from './job-runner';
import { JobName } from './job.types';
import { JobsController } from './jobs.controller';
import { JobsHealth } from './jobs-health';
import { PROCESS_ROLE, ProcessRole } from './process-role';

/** Where a killed worker's job is picked up again after (see BullMqOptions.lockDurationMs). */
const LOCK_DURATION_MS = 15_000;

/**
 * The queue (BullMQ when REDIS_URL is set, else inline), the processors registry and the job routes.
 * Global, so the modules owning processors (backups, reindex) register them without importing this.
 */
@Module({})
export class JobsModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @Inject(PROCESS_ROLE) private readonly role: ProcessRole,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly processors: JobProcessors,
    private readonly metrics: EngramMetrics,
  ) {}

  static forRoot(role: ProcessRole): DynamicModule {
    return {
      module: JobsModule,
      global: true,
      imports: [TerminusModule.forRoot({ logger: false }), StorageModule],
      controllers: role === 'api' ? [JobsController] : [],
      providers: [
        { provide: PROCESS_ROLE, useValue: role },
        JobProcessors,
        JobRunner,
        JobsHealth,
        {
          provide: JOB_QUEUE,
          inject: [APP_CONFIG, JobRunner, EventBus, AuditService, RedisKeys],
          useFactory: (
            config: AppConfig,
            runner: JobRunner,
            events: EventBus,
            audit: AuditService,
            keys: RedisKeys,
          ): JobQueue => {
            const url = config.redis.url;
            if (!url) {
              if (role === 'worker')
                throw new Error('The worker needs REDIS_URL; without Redis, jobs run inside the api');
              return new AuditedJobQueue(new InlineJobQueue(runner, events, config.jobs.maxWaiting), audit);
            }
            const queue = new BullMqJobQueue(
              {
                url,
                keys,
                consume: role === 'worker',
                maxWaiting: config.jobs.maxWaiting,
                lockDurationMs: LOCK_DURATION_MS,
              },
              runner,
              events,
            );
            return new AuditedJobQueue(queue, audit);
          },
        },
      ],
      exports: [PROCESS_ROLE, JOB_QUEUE, JobProcessors, JobsHealth],
    };
  }

  /** Every processor is registered by now: check the set, start consuming, and set the backup schedule. */
  async onApplicationBootstrap(): Promise<void> {
    this.processors.assertComplete();
    this.metrics.onScrape(() => this.refreshQueueGauge());
    await this.queue.start();
    if (this.consumesJobs()) await this.scheduleBackups();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.queue.close();
  }

  /** The process that runs jobs owns the schedule: the worker with Redis, the api or CLI without. */
  private consumesJobs(): boolean {
    return this.queue.kind === 'inline' ? this.role === 'api' : this.role === 'worker';
  }

  private async scheduleBackups(): Promise<void> {
    await this.queue.schedule(JobName.Backup, this.config.backups.schedule, { reason: 'scheduled' });
  }

  private async refreshQueueGauge(): Promise<void> {
    try {
      const counts = await this.queue.counts();
      for (const [state, count] of Object.entries(counts)) {
        this.metrics.queueJobs.set({ queue: this.queue.queue, state }, count);
      }
    } catch {
      // Redis down: the gauge keeps its last values; readiness reports the outage.
    }
  }
}
