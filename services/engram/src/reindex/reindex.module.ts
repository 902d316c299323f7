import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { BackupsModule } from '../backups/backups.module';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { JobProcessors } from '../jobs/job-processor';
import { ProcessRole } from '../jobs/process-role';
import { StorageModule } from '../storage/storage.module';
import { ReindexController } from './reindex.controller';
import { ReindexProcessor } from './reindex.processor';
import { REINDEX_STAGING_PROVIDER } from './reindex-staging.provider';
import { ReindexService } from './reindex.service';

@Module({})
export class ReindexModule implements OnModuleInit {
  constructor(
    private readonly processors: JobProcessors,
    private readonly reindex: ReindexProcessor,
  ) {}

  static forRole(role: ProcessRole): DynamicModule {
    return {
      module: ReindexModule,
      imports: [StorageModule, EmbeddingsModule, BackupsModule.forRole(role)],
      controllers: role === 'api' ? [ReindexController] : [],
      providers: [REINDEX_STAGING_PROVIDER, ReindexService, ReindexProcessor],
    };
  }

  onModuleInit(): void {
    this.processors.register(this.reindex);
  }
}
