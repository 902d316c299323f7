import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { RedisKeys } from '../config/redis-keys';
import { EngramMetrics } from '../metrics/engram-metrics';
import { OpenedStores, StorageModule, STORES } from '../storage/storage.module';
import { EventBus } from './event-bus';
import { EVENT_RELAY, EventRelay } from './event-relay';
import { LocalEventRelay } from './local-event.relay';
import { MemoryEvents } from './memory-events';
import { PostgresEventRelay } from './postgres-event.relay';
import { replayBounds } from './replay-windows';

/**
 * The event bus, available to every module (memories, MCP, jobs, agent) and every process (api, worker)
 * without importing this one. Events travel to every process through Redis with REDIS_URL, else through
 * PostgreSQL on that backend; on SQLite alone they stay in the process.
 */
@Global()
@Module({
  imports: [StorageModule],
  providers: [
    {
      provide: EVENT_RELAY,
      inject: [APP_CONFIG, RedisKeys, STORES, { token: EngramMetrics, optional: true }],
      useFactory: async (
        config: AppConfig,
        keys: RedisKeys,
        stores: OpenedStores,
        metrics?: EngramMetrics,
      ): Promise<EventRelay> => {
        if (config.redis.url) {
          const { RedisEventRelay } = await import('./redis-event.relay.js'); // ioredis, only with Redis
          return new RedisEventRelay(config.redis.url, keys, replayBounds(config), {
            legacyChannel: config.events.legacyChannel,
            metrics,
          });
        }
        if (stores.backend === 'postgres')
          return new PostgresEventRelay(config.storage.postgres!, stores.db, replayBounds(config), { metrics });
        return new LocalEventRelay();
      },
    },
    EventBus,
    MemoryEvents,
  ],
  exports: [EventBus, MemoryEvents],
})
export class EventsModule {}
