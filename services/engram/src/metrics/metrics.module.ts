import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/config.types';
import { EngramMetrics } from './engram-metrics';
import { MetricsController, PublicMetricsController } from './metrics.controller';

/** The metrics registry for every process; `withEndpoint` adds the api's /metrics route. */
@Global()
@Module({
  providers: [EngramMetrics],
  exports: [EngramMetrics],
})
export class MetricsModule {
  static withEndpoint(config: AppConfig): DynamicModule {
    return {
      module: MetricsModule,
      controllers: [config.metrics.public ? PublicMetricsController : MetricsController],
    };
  }
}
