import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { BackupsModule } from '../backups/backups.module';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { JobProcessors } from '../jobs/job-processor';
import { ProcessRole } from '../jobs/process-role';
import { SQLITE_DATABASE, StorageModule } from '../storage/storage.module';
import { SqliteDatabase } from '../storage/sqlite.connection';
import { ReindexController } from './reindex.controller';
import { ReindexProcessor } from './reindex.processor';
import { ReindexRepository } from './reindex.repository';
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
      providers: [
        {
          provide: ReindexRepository,
          inject: [SQLITE_DATABASE],
          useFactory: (db: SqliteDatabase) => new ReindexRepository(db),
        },
        ReindexService,
        ReindexProcessor,
      ],
    };
  }

  onModuleInit(): void {
    this.processors.register(this.reindex);
  }
}
