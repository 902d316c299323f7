import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { agentFileStoreProvider } from '../agent/agent-file-store.provider';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { JobProcessors } from '../jobs/job-processor';
import { ProcessRole } from '../jobs/process-role';
import { MemoriesModule } from '../memories/memories.module';
import { OpenedStores, STORES, StorageModule } from '../storage/storage.module';
import { PostgresUploadShelf } from '../storage/postgres/postgres-upload.shelf';
import { ImportsProcessor } from './imports.processor';
import { ImportsService } from './imports.service';
import { ImportUploadRepository } from './import-upload.repository';
import { ImportsController } from './imports.controller';

/** Imports: the importers, the import job's processor, and the upload route (api only). */
@Module({})
export class ImportsModule implements OnModuleInit {
  constructor(
    private readonly processors: JobProcessors,
    private readonly processor: ImportsProcessor,
  ) {}

  private static readonly byRole = new Map<ProcessRole, DynamicModule>();

  static forRole(role: ProcessRole): DynamicModule {
    const existing = ImportsModule.byRole.get(role);
    if (existing) return existing;
    const module: DynamicModule = {
      module: ImportsModule,
      imports: [MemoriesModule, StorageModule],
      controllers: role === 'api' ? [ImportsController] : [],
      providers: [
        {
          provide: ImportUploadRepository,
          inject: [APP_CONFIG, STORES],
          useFactory: (config: AppConfig, stores: OpenedStores) =>
            new ImportUploadRepository(
              config.imports,
              stores.backend === 'postgres' ? new PostgresUploadShelf(stores.db) : undefined,
            ),
        },
        agentFileStoreProvider,
        ImportsService,
        ImportsProcessor,
      ],
    };
    ImportsModule.byRole.set(role, module);
    return module;
  }

  onModuleInit(): void {
    this.processors.register(this.processor);
  }
}
