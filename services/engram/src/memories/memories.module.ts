import { Module, OnModuleInit } from '@nestjs/common';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { EngramMetrics } from '../metrics/engram-metrics';
import { MemoryStore } from '../storage/memory.store';
import { StorageInfoRepository } from '../storage/storage-info.repository';
import { StorageModule } from '../storage/storage.module';
import { MemoriesController } from './memories.controller';
import { MemoryService } from './memory.service';
import { TagsController } from './tags.controller';

@Module({
  imports: [StorageModule, EmbeddingsModule],
  controllers: [MemoriesController, TagsController],
  providers: [MemoryService],
  exports: [MemoryService],
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
      this.metrics.dbSize.set(this.storage.sizeBytes());
    });
  }
}
