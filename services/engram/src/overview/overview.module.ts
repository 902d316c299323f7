import { Module } from '@nestjs/common';
import { MemoriesModule } from '../memories/memories.module';
import { MetricsHistory } from './metrics-history';
import { OverviewController } from './overview.controller';
import { OverviewService } from './overview.service';

/** The dashboard's overview figures (api process only: the sampler reads this process's metrics). */
@Module({
  imports: [MemoriesModule],
  controllers: [OverviewController],
  providers: [OverviewService, MetricsHistory],
})
export class OverviewModule {}
