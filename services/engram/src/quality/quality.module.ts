import { Module } from '@nestjs/common';
import { StorageModule } from '../storage/storage.module';
import { QualityController } from './quality.controller';
import { QualityService } from './quality.service';
import { UsageRecorder } from './usage-recorder';

/** Usage signals (recorded in batches) and the quality score built from them and from ratings. */
@Module({
  imports: [StorageModule],
  controllers: [QualityController],
  providers: [UsageRecorder, QualityService],
  exports: [UsageRecorder, QualityService],
})
export class QualityModule {}
