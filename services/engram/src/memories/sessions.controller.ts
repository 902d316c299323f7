import { Controller, Headers, Post } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/route-access';
import { ApiErrors, ZodBody } from '../common/api-schema.decorators';
import { LargeBody } from '../common/request-body-size';
import { agentTags } from './agent-tags';
import { toMemoryView } from './memory.view';
import { StoreSessionBody, StoreSessionInput } from './session.dto';
import { SessionService } from './session.service';

@ApiTags('memories')
@ApiSecurity('api_key')
@Controller('api/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionService) {}

  @Post()
  @RequireScope('write')
  @LargeBody()
  @ApiOperation({
    summary:
      'Store a conversation: the session as one memory, and overlapping windows of turns as session_chunk ' +
      'memories pointing back to it; posting the same session again adds nothing (created: false)',
  })
  @ApiHeader({ name: 'X-Agent-ID', required: false, description: 'Adds the tag agent:<id>' })
  @ApiErrors(400, 401, 413, 415, 503)
  async store(@ZodBody(StoreSessionBody) body: StoreSessionInput, @Headers('x-agent-id') agentId?: string) {
    const { session, chunks } = await this.sessions.storeSession(body, agentTags(agentId));
    return {
      success: true,
      created: session.created,
      message: session.created ? 'Session stored' : 'Already stored: the same session exists',
      content_hash: session.memory.contentHash,
      memory: toMemoryView(session.memory),
      chunks: chunks.map((chunk) => ({
        content_hash: chunk.memory.contentHash,
        turns: chunk.turns,
        created: chunk.created,
      })),
    };
  }
}
