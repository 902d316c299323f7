import { Global, Module } from '@nestjs/common';
import { EngramMetrics } from './engram-metrics';
import { MetricsController } from './metrics.controller';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [EngramMetrics],
  exports: [EngramMetrics],
})
export class MetricsModule {}
