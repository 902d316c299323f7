import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { RedisKeys } from '../config/redis-keys';
import { StorageModule } from '../storage/storage.module';
import { EventBus } from './event-bus';
import { EVENT_RELAY, EventRelay } from './event-relay';
import { LocalEventRelay } from './local-event.relay';
import { MemoryEvents } from './memory-events';
import { replayBounds } from './replay-windows';

/**
 * The event bus, available to every module (memories, MCP, jobs, agent) and every process (api, worker)
 * without importing this one. With REDIS_URL events travel through Redis to every process.
 */
@Global()
@Module({
  imports: [StorageModule],
  providers: [
    {
      provide: EVENT_RELAY,
      inject: [APP_CONFIG, RedisKeys],
      useFactory: async (config: AppConfig, keys: RedisKeys): Promise<EventRelay> => {
        if (!config.redis.url) return new LocalEventRelay();
        const { RedisEventRelay } = await import('./redis-event.relay.js'); // ioredis, only with Redis
        return new RedisEventRelay(config.redis.url, keys, replayBounds(config), {
          legacyChannel: config.events.legacyChannel,
        });
      },
    },
    EventBus,
    MemoryEvents,
  ],
  exports: [EventBus, MemoryEvents],
})
export class EventsModule {}
