import { Controller, Get, HttpCode, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { RequireScope } from '../auth/route-access';
import { ApiErrors, ZodBody } from '../common/api-schema.decorators';
import { LargeBody } from '../common/request-body-size';
import { SandboxService } from '../sandbox/sandbox.service';
import { AgentQueryBody, AgentQueryInput } from './agent.dto';
import { AgentAnswer, AgentService } from './agent.service';

@ApiTags('agent')
@ApiSecurity('api_key')
@RequireScope('read')
@Controller('api/agent')
export class AgentController {
  constructor(
    private readonly agent: AgentService,
    private readonly sandbox: SandboxService,
  ) {}

  @Post('query')
  @RequireScope('write') // the agent may change memory files
  @LargeBody()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Ask the memory agent (mem-agent over the markdown memory): it may read and update files; answers {reply, turns, files_changed}',
  })
  @ApiErrors(400, 401, 403, 415, 502, 503)
  async query(
    @ZodBody(AgentQueryBody) body: AgentQueryInput,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AgentAnswer> {
    // A client that hangs up stops the run between turns instead of spending the model for nothing.
    const abandoned = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableEnded) abandoned.abort(new Error('the client closed the connection'));
    });
    return this.agent.query(body, { signal: abandoned.signal });
  }

  @Get('status')
  @ApiOperation({ summary: 'Whether the agent can run: the model endpoint (never its key) and the sandbox mode' })
  @ApiErrors(401, 403)
  async status() {
    const isolation = this.agent.configured ? await this.sandbox.detect() : undefined;
    return {
      endpoint: this.agent.describeEndpoint(),
      transcripts_kept: this.agent.keepsTranscripts,
      sandbox: isolation === undefined ? { checked: false } : { checked: true, ...isolation },
    };
  }

  @Get('transcripts')
  @RequireScope('admin')
  @ApiOperation({ summary: 'The last 20 transcripts, when ENGRAM_AGENT_KEEP_TRANSCRIPTS=true (debugging)' })
  @ApiErrors(401, 403)
  transcripts() {
    return { transcripts: this.agent.recentTranscripts() };
  }
}
