import { DynamicModule, Global, Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { AuthModule } from '../auth/auth.module';
import { ConfigModule } from '../config/config.module';
import { AppConfig } from '../config/config.types';
import { EventsModule } from '../events/events.module';
import { jobModules } from '../job-modules';
import { MetricsModule } from '../metrics/metrics.module';
import { StorageModule, MODEL_MISMATCH_POLICY } from '../storage/storage.module';

/** Lets the worker and CLI open a database of another embedding model: reindexing is their way out of it. */
@Global()
@Module({
  providers: [{ provide: MODEL_MISMATCH_POLICY, useValue: 'keep-stored' }],
  exports: [MODEL_MISMATCH_POLICY],
})
class ReindexableStorageModule {}

/**
 * The job-running application without HTTP: the worker process (`engram worker`, BullMQ) and the
 * operator commands (`engram backup|restore|reindex`, inline without Redis) share it.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, role: 'worker' | 'cli'): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        ReindexableStorageModule,
        EventsModule,
        MetricsModule,
        StorageModule,
        AuditModule.forRoot('worker'),
        ...jobModules(role, { schedules: role === 'worker' }),
        // The worker's HTTP port authenticates with the api's keys.
        ...(role === 'worker' ? [AuthModule.forRoot(config, 'worker')] : []),
      ],
    };
  }
}
