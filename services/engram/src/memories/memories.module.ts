import { Module, OnModuleInit } from '@nestjs/common';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { EngramMetrics } from '../metrics/engram-metrics';
import { MemoryStore } from '../storage/memory.store';
import { ConflictScannerModule } from '../conflicts/conflict-scanner.module';
import { QualityModule } from '../quality/quality.module';
import { StorageInfoRepository } from '../storage/storage-info.repository';
import { StorageModule } from '../storage/storage.module';
import { MemoriesController } from './memories.controller';
import { MemoryService } from './memory.service';
import { SessionService } from './session.service';
import { SessionsController } from './sessions.controller';
import { TagsController } from './tags.controller';

@Module({
  imports: [StorageModule, EmbeddingsModule, QualityModule, ConflictScannerModule],
  controllers: [MemoriesController, TagsController, SessionsController],
  providers: [MemoryService, SessionService],
  exports: [MemoryService, SessionService],
})
export class MemoriesModule implements OnModuleInit {
  constructor(
    private readonly metrics: EngramMetrics,
    private readonly memories: MemoryStore,
    private readonly storage: StorageInfoRepository,
  ) {}

  onModuleInit(): void {
    this.metrics.onScrape(async () => {
      this.metrics.memories.set(await this.memories.countAllLive());
      this.metrics.dbSize.set(await this.storage.sizeBytes());
    });
  }
}
