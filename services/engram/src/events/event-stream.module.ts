import { Module } from '@nestjs/common';
import { EventsController } from './events.controller';
import { EventStreamService } from './event-stream.service';

/** The SSE endpoint (api processes only; a worker publishes through the global EventsModule). */
@Module({ controllers: [EventsController], providers: [EventStreamService] })
export class EventStreamModule {}
