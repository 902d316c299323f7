import { Global, Module } from '@nestjs/common';
import { EventBus } from './event-bus';

/** The event bus, available to every module (memories, MCP, jobs, agent) without importing this one. */
@Global()
@Module({ providers: [EventBus], exports: [EventBus] })
export class EventsModule {}
