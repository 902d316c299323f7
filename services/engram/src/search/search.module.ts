import { Module } from '@nestjs/common';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { QualityModule } from '../quality/quality.module';
import { StorageModule } from '../storage/storage.module';
import { SearchController } from './search.controller';
import { SearchService } from './search.service';

@Module({
  imports: [StorageModule, EmbeddingsModule, QualityModule],
  controllers: [SearchController],
  providers: [SearchService],
  exports: [SearchService],
})
export class SearchModule {}
