import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { QualityModule } from '../quality/quality.module';
import { StorageModule } from '../storage/storage.module';
import { CandidateRanker } from './candidate-ranker';
import { RerankRepository } from './rerank.repository';
import { RerankStage } from './rerank-stage';
import { SearchController } from './search.controller';
import { SearchService } from './search.service';

@Module({
  imports: [StorageModule, EmbeddingsModule, QualityModule],
  controllers: [SearchController],
  providers: [
    SearchService,
    CandidateRanker,
    RerankStage,
    {
      provide: RerankRepository,
      useFactory: (config: AppConfig) => new RerankRepository(config.rerank),
      inject: [APP_CONFIG],
    },
  ],
  exports: [SearchService],
})
export class SearchModule {}
