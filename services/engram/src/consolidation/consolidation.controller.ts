import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/route-access';
import { ApiErrors, ZodBody, ZodQuery } from '../common/api-schema.decorators';
import { LargeBody } from '../common/request-body-size';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import {
  ApplyConsolidationBody,
  ApplyConsolidationInput,
  CleanupBody,
  CleanupInput,
  HorizonParam,
  RecommendationsInput,
  RecommendationsQuery,
  TriggerConsolidationBody,
  TriggerConsolidationInput,
} from './consolidation.dto';
import { ConsolidationService } from './consolidation.service';
import { toAppliedView, toCleanupView, toRecommendationsView, toStatusView } from './consolidation.view';
import { ExactDuplicates } from './exact-duplicates';

@ApiTags('consolidation')
@ApiSecurity('api_key')
@RequireScope('read')
@Controller('api/consolidation')
export class ConsolidationController {
  constructor(
    private readonly consolidation: ConsolidationService,
    private readonly duplicates: ExactDuplicates,
  ) {}

  @Post('trigger')
  @RequireScope('write')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Run consolidation of this namespace as a job: near-duplicates proposed for merging, unused old memories ' +
      'for archiving. A dry run by default: the proposals appear in GET /api/consolidation/recommendations.',
  })
  @ApiErrors(400, 401, 415, 429, 503)
  async trigger(
    @ZodBody(TriggerConsolidationBody, { optional: true })
    body: TriggerConsolidationInput,
  ) {
    const job = await this.consolidation.trigger(body);
    return {
      success: true,
      status: 'queued',
      dry_run: body.dry_run,
      ...(body.time_horizon ? { horizon: body.time_horizon } : {}),
      job_id: job.id,
      status_url: '/api/consolidation/status',
      job,
    };
  }

  @Get('status')
  @ApiOperation({ summary: 'Consolidation in this namespace: the running and last job with progress, counts' })
  @ApiErrors(401, 503)
  async status() {
    return toStatusView(await this.consolidation.recentJobs(), await this.consolidation.proposalSet(undefined));
  }

  @Get('recommendations')
  @ApiOperation({ summary: 'The newest proposal set of this namespace (or the one named), item by item' })
  @ApiErrors(400, 401, 404)
  async recommendations(@ZodQuery(RecommendationsQuery) query: RecommendationsInput) {
    const set = await this.consolidation.proposalSet(query.proposal_set_id);
    return toRecommendationsView(set, await this.consolidation.memoryCount());
  }

  @Get('recommendations/:time_horizon')
  @ApiOperation({ summary: 'MCP Memory Service path: the same as GET /api/consolidation/recommendations' })
  @ApiErrors(400, 401)
  async recommendationsFor(@Param('time_horizon', new ZodValidationPipe(HorizonParam, 'path')) _horizon: string) {
    return toRecommendationsView(
      await this.consolidation.proposalSet(undefined),
      await this.consolidation.memoryCount(),
    );
  }

  @Post('apply')
  @RequireScope('write')
  @LargeBody()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Apply a reviewed proposal set (or some of its items): merges supersede their sources (kept as history, ' +
      'metadata.consolidated_from on the merged memory), archives move memories to the trash (restorable). ' +
      'Each item is applied once.',
  })
  @ApiErrors(400, 401, 404, 415)
  async apply(@ZodBody(ApplyConsolidationBody) body: ApplyConsolidationInput) {
    return toAppliedView(body.proposal_set_id, await this.consolidation.apply(body));
  }

  @Post('cleanup')
  @RequireScope('write')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Remove exact duplicates in this namespace (same text but for case and whitespace): the most used of each ' +
      'group stays, the others go to the trash',
  })
  @ApiErrors(400, 401, 415)
  async cleanup(@ZodBody(CleanupBody, { optional: true }) body: CleanupInput) {
    return toCleanupView(await this.duplicates.cleanup(body.dry_run));
  }
}
