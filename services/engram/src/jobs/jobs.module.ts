import { BeforeApplicationShutdown, DynamicModule, Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AuditedJobQueue } from '../audit/job-audit';
import { AuditService } from '../audit/audit.service';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { RedisKeys } from '../config/redis-keys';
import { EventBus } from '../events/event-bus';
import { EngramMetrics } from '../metrics/engram-metrics';
import { STORES, StorageModule } from '../storage/storage.module';
import { Stores } from '../storage/stores';
import { InlineJobQueue } from './inline-job.queue';
import { JobProcessors } from './job-processor';
import { JOB_QUEUE, JobQueue } from './job-queue';
import { JobRunner } from './job-runner';
import { JobName } from './job.types';
import { JobsController } from './jobs.controller';
import { JobsHealth } from './jobs-health';
import { PROCESS_ROLE, ProcessRole, SCHEDULES_JOBS } from './process-role';
import { ScheduleOwner } from './schedule-owner';

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
    @Inject(SCHEDULES_JOBS) private readonly schedules: boolean,
    @Inject(STORES) private readonly stores: Stores,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly processors: JobProcessors,
    private readonly metrics: EngramMetrics,
  ) {}

  private scheduleOwner: ScheduleOwner | undefined;

  static forRoot(role: ProcessRole, schedules = false): DynamicModule {
    return {
      module: JobsModule,
      global: true,
      imports: [TerminusModule.forRoot({ logger: false }), StorageModule],
      controllers: role === 'api' ? [JobsController] : [],
      providers: [
        { provide: PROCESS_ROLE, useValue: role },
        { provide: SCHEDULES_JOBS, useValue: schedules },
        JobProcessors,
        JobRunner,
        JobsHealth,
        {
          provide: JOB_QUEUE,
          inject: [APP_CONFIG, JobRunner, EventBus, AuditService, RedisKeys, STORES],
          useFactory: async (
            config: AppConfig,
            runner: JobRunner,
            events: EventBus,
            audit: AuditService,
            keys: RedisKeys,
            stores: Stores,
          ): Promise<JobQueue> => {
            const url = config.redis.url;
            if (!url) {
              if (role === 'worker')
                throw new Error('The worker needs REDIS_URL; without Redis, jobs run inside the api');
              // The serving api answers 202 for jobs it runs itself: it keeps them in the store (see InlineJobQueue).
              const records =
                role === 'api' && schedules ? { store: stores.jobRecords, locks: stores.locks } : undefined;
              return new AuditedJobQueue(new InlineJobQueue(runner, events, config.jobs, records), audit);
            }
            // Loaded only with Redis: BullMQ and ioredis are a tenth of start-up without it.
            const { BullMqJobQueue } = await import('./bullmq-job.queue.js');
            const queue = new BullMqJobQueue(
              {
                url,
                keys,
                consume: role === 'worker',
                // The api serves memories without Redis; the worker and a CLI job command need it.
                waitForConnection: role !== 'api',
                limits: config.jobs,
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
    if (!this.schedules) return;
    if (this.queue.kind === 'bullmq') {
      // One job scheduler in Redis, whichever worker upserts it: each tick adds one job, run by one worker.
      await this.scheduleBackups();
    } else if (this.config.backups.schedule !== undefined) {
      // Timers in this process: only the one process holding the schedule lock may run them (nothing to
      // contend for, and no lock to hold, when nothing is scheduled).
      this.scheduleOwner = new ScheduleOwner(this.stores.locks);
      await this.scheduleOwner.whenOwner(() => this.scheduleBackups());
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.queue.close();
    await this.scheduleOwner?.release();
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
