import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { JobProcessors } from '../jobs/job-processor';
import { ProcessRole } from '../jobs/process-role';
import { EngramMetrics } from '../metrics/engram-metrics';
import { StorageModule } from '../storage/storage.module';
import { BackupProcessor } from './backup.processor';
import { BackupRepository } from './backup.repository';
import { BackupService } from './backup.service';
import { BackupsController } from './backups.controller';
import { AGENT_FILES_ARCHIVE_PROVIDER, DATABASE_BACKUP_TARGET_PROVIDER } from './database-backup.provider';
import { RestoreProcessor } from './restore.processor';
import { SqliteFileRepository } from '../storage/sqlite-file/sqlite-file.repository';

/** Backups and restore: files, verification, the two processors and the REST routes (api only). */
@Module({})
export class BackupsModule implements OnModuleInit {
  constructor(
    private readonly processors: JobProcessors,
    private readonly backup: BackupProcessor,
    private readonly restore: RestoreProcessor,
    private readonly backups: BackupService,
    private readonly metrics: EngramMetrics,
  ) {}

  private static readonly byRole = new Map<ProcessRole, DynamicModule>();

  /** One module object per role, so every importer gets the same instance. */
  static forRole(role: ProcessRole): DynamicModule {
    const existing = BackupsModule.byRole.get(role);
    if (existing) return existing;
    const module: DynamicModule = {
      module: BackupsModule,
      imports: [StorageModule],
      controllers: role === 'api' ? [BackupsController] : [],
      providers: [
        {
          provide: BackupRepository,
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => new BackupRepository(config.backups.path),
        },
        SqliteFileRepository,
        DATABASE_BACKUP_TARGET_PROVIDER,
        AGENT_FILES_ARCHIVE_PROVIDER,
        BackupService,
        BackupProcessor,
        RestoreProcessor,
      ],
      exports: [BackupService, SqliteFileRepository],
    };
    BackupsModule.byRole.set(role, module);
    return module;
  }

  onModuleInit(): void {
    this.processors.register(this.backup);
    this.processors.register(this.restore);
    this.metrics.onScrape(() => this.backups.refreshLastBackupMetric());
  }
}
