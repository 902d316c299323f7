import { Controller, Get, Headers, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CredentialWatch } from '../auth/credential-watch';
import { currentContext } from '../auth/request-context';
import { RequireScope } from '../auth/route-access';
import { ApiErrors, ZodQuery } from '../common/api-schema.decorators';
import {
  EventStreamInput,
  EventStreamQuery,
  parseLastEventIdHeader,
  RecentEventsInput,
  RecentEventsQuery,
} from './events.dto';
import { EventStreamService } from './event-stream.service';
import { noticeFrames } from './sse-frames';

/** The last frame of a stream whose key was revoked or expired (or keyless access ended) meanwhile. */
const CREDENTIAL_REFUSED =
  'The credential this stream was opened with is no longer accepted (revoked, expired, or a key is now required); open it again with a valid key';

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no', // nginx would otherwise buffer the stream
};

@ApiTags('events')
@ApiSecurity('api_key')
@RequireScope('read')
@Controller('api')
export class EventsController {
  constructor(
    private readonly streams: EventStreamService,
    private readonly watch: CredentialWatch,
  ) {}

  @Get('events/recent')
  @ApiOperation({
    summary:
      "The events kept for replay (this namespace's, newest first; with Redis, every replica's) and the id to resume a stream from",
  })
  @ApiErrors(400, 401)
  async recent(@ZodQuery(RecentEventsQuery) query: RecentEventsInput) {
    const filter = { ...callerFilter(), types: query.types && new Set(query.types) };
    const { events, resumeFrom } = await this.streams.recent(filter, query.limit);
    return { events, last_event_id: resumeFrom.value };
  }

  @Get(['events/stream', 'events'])
  @RequireScope('read', { queryKey: true }) // EventSource cannot send headers: the key may come as ?api_key=
  @ApiOperation({
    summary: 'Server-Sent Events: every memory and job change, live; Last-Event-ID replays missed ones',
  })
  @ApiProduces('text/event-stream')
  @ApiErrors(400, 401, 429, 503)
  stream(
    @ZodQuery(EventStreamQuery) query: EventStreamInput,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): void {
    const lastEventId = parseLastEventIdHeader(lastEventIdHeader) ?? query.last_event_id;
    const { principal } = currentContext();
    const owner = `${principal.kind}:${principal.id}`;
    const { boundNamespace } = principal;
    this.streams.admit({ owner, boundNamespace });
    reply.hijack();
    // Headers fastify's hooks set (CORS) would be lost with the hijack; carry them over.
    const carried = Object.entries(reply.getHeaders()).filter(([, value]) => value !== undefined);
    reply.raw.writeHead(200, { ...Object.fromEntries(carried), ...SSE_HEADERS, 'x-request-id': request.id });
    if (request.method === 'HEAD') {
      reply.raw.end();
      return;
    }
    const end = this.streams.open(reply.raw, {
      requestId: request.id,
      owner,
      boundNamespace,
      filter: {
        ...callerFilter(),
        types: query.types && new Set(query.types),
        tags: query.tags && new Set(query.tags),
      },
      frames: query.frames,
      lastEventId,
    });
    this.watch.watch(reply.raw, () =>
      end(noticeFrames('credential_refused', { message: CREDENTIAL_REFUSED }, query.frames)),
    );
  }
}

/** The caller's events: its namespace's, and the whole store's when the credential is bound to none. */
function callerFilter() {
  const { principal, namespace } = currentContext();
  return { namespace, wholeStore: principal.boundNamespace === undefined };
}
