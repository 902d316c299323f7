import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AgentModule } from '../agent/agent.module';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { MemoriesModule } from '../memories/memories.module';
import { StorageModule } from '../storage/storage.module';
import { HealthController } from './health.controller';
import { ReadinessIndicators } from './readiness.indicators';
import { StatusReportService } from './status-report.service';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), StorageModule, EmbeddingsModule, MemoriesModule, AgentModule],
  controllers: [HealthController],
  providers: [ReadinessIndicators, StatusReportService],
  exports: [StatusReportService],
})
export class HealthModule {}
