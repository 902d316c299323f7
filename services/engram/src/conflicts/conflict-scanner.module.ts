import { Module } from '@nestjs/common';
import { StorageModule } from '../storage/storage.module';
import { ConflictScanner } from './conflict-scanner';

/** The scanner alone, so that storing a memory can ask for possible conflicts without the review routes. */
@Module({
  imports: [StorageModule],
  providers: [ConflictScanner],
  exports: [ConflictScanner],
})
export class ConflictScannerModule {}
