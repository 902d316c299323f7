import { Module } from '@nestjs/common';
import { ChatCompletionsRepository } from '../agent/chat-completions.repository';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { MemoriesModule } from '../memories/memories.module';
import { EngramMetrics } from '../metrics/engram-metrics';
import { HarvestController } from './harvest.controller';
import { HarvestService } from './harvest.service';

/** Harvest: candidate memories from transcripts, with the agent's chat endpoint. */
@Module({
  imports: [MemoriesModule],
  controllers: [HarvestController],
  providers: [
    {
      provide: ChatCompletionsRepository,
      inject: [APP_CONFIG, EngramMetrics],
      useFactory: (config: AppConfig, metrics: EngramMetrics) => new ChatCompletionsRepository(config.agent, metrics),
    },
    HarvestService,
  ],
  exports: [HarvestService],
})
export class HarvestModule {}
