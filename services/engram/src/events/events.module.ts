import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { EventBus } from './event-bus';
import { EVENT_RELAY, EventRelay } from './event-relay';
import { LocalEventRelay } from './local-event.relay';
import { MemoryEvents } from './memory-events';
import { RedisEventRepository } from './redis-event.repository';

/**
 * The event bus, available to every module (memories, MCP, jobs, agent) and every process (api, worker)
 * without importing this one. With REDIS_URL events travel through Redis to every process.
 */
@Global()
@Module({
  providers: [
    {
      provide: EVENT_RELAY,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): EventRelay =>
        config.redis.url ? new RedisEventRepository(config.redis.url) : new LocalEventRelay(),
    },
    EventBus,
    MemoryEvents,
  ],
  exports: [EventBus, MemoryEvents],
})
export class EventsModule {}
