import { Module } from '@nestjs/common';
import { StorageModule } from '../storage/storage.module';
import { ExportController } from './export.controller';
import { MemoryExportService } from './memory-export.service';

@Module({
  imports: [StorageModule],
  controllers: [ExportController],
  providers: [MemoryExportService],
  exports: [MemoryExportService],
})
export class ExportModule {}
