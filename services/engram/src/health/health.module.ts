import { Module, OnModuleInit } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AgentModule } from '../agent/agent.module';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { MemoriesModule } from '../memories/memories.module';
import { EngramMetrics } from '../metrics/engram-metrics';
import { StorageInfoRepository } from '../storage/storage-info.repository';
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
export class HealthModule implements OnModuleInit {
  constructor(
    private readonly metrics: EngramMetrics,
    private readonly indicators: ReadinessIndicators,
    private readonly storage: StorageInfoRepository,
  ) {}

  /** Readiness and disk space as metrics, for the alert rules (nothing else polls /health/ready in Compose). */
  onModuleInit(): void {
    if (this.storage.freeDiskBytes() === undefined) this.metrics.withoutDiskGauges();
    this.metrics.onScrape(async () => {
      const checks = [
        await this.indicators.databaseWritable(),
        this.indicators.diskSpace(),
        this.indicators.embedder(),
      ];
      for (const [check, { status }] of checks.flatMap((result) => Object.entries(result))) {
        this.metrics.ready.set({ check }, status === 'up' ? 1 : 0);
      }
      const free = this.storage.freeDiskBytes();
      const size = this.storage.diskSizeBytes();
      if (free !== undefined) this.metrics.diskFree.set(free);
      if (size !== undefined) this.metrics.diskSize.set(size);
    });
  }
}
