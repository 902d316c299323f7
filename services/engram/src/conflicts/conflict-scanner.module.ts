import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { RedisKeys } from '../config/redis-keys';
import { DATABASE_SLOT_LEASES, SlotLeases } from '../storage/slot-leases';
import { StorageModule } from '../storage/storage.module';
import { ConflictJudgeService, JUDGE_SLOT_LEASES } from './conflict-judge.service';
import { ConflictScanner } from './conflict-scanner';

/** The scanner (and its optional LLM judge) alone, so that storing a memory can ask for possible conflicts without the review routes. */
@Module({
  imports: [StorageModule],
  providers: [
    {
      // Every process shares the judge's slots: in Redis when there is one, else in the database (the
      // PostgreSQL database, or the SQLite file that `engram serve` and `engram mcp` may both open).
      provide: JUDGE_SLOT_LEASES,
      inject: [APP_CONFIG, RedisKeys, DATABASE_SLOT_LEASES],
      useFactory: async (config: AppConfig, keys: RedisKeys, database?: SlotLeases) => {
        if (!config.conflicts.judge) return undefined;
        if (!config.redis.url) return database;
        const { RedisSlotLeases } = await import('./redis-slot-leases.js'); // ioredis, only with Redis
        return new RedisSlotLeases(config.redis.url, keys);
      },
    },
    ConflictJudgeService,
    ConflictScanner,
  ],
  exports: [ConflictScanner],
})
export class ConflictScannerModule {}
