import { Module } from '@nestjs/common';
import { StorageModule } from '../storage/storage.module';
import { ConflictJudgeService } from './conflict-judge.service';
import { ConflictScanner } from './conflict-scanner';

/** The scanner (and its optional LLM judge) alone, so that storing a memory can ask for possible conflicts without the review routes. */
@Module({
  imports: [StorageModule],
  providers: [ConflictJudgeService, ConflictScanner],
  exports: [ConflictScanner],
})
export class ConflictScannerModule {}
