import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { RequireScope } from '../auth/route-access';
import { ApiErrors, ZodBody, ZodQuery } from '../common/api-schema.decorators';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { ListConflictsInput, ListConflictsQuery, ResolveConflictBody, ResolveConflictInput } from './conflict.dto';
import { ConflictService } from './conflict.service';
import { toConflictView } from './conflict.view';
import { toMemoryView } from '../memories/memory.view';

const jobIdPipe = new ZodValidationPipe(z.string().regex(/^[\w.:-]{1,128}$/, 'a job id'), 'path');

@ApiTags('conflicts')
@ApiSecurity('api_key')
@RequireScope('read')
@Controller('api/conflicts')
export class ConflictsController {
  constructor(private readonly conflicts: ConflictService) {}

  @Get()
  @ApiOperation({ summary: 'Proposed contradictions of this namespace, highest score first (open by default)' })
  @ApiErrors(400, 401)
  async list(@ZodQuery(ListConflictsQuery) query: ListConflictsInput) {
    const page = await this.conflicts.list(query);
    return {
      conflicts: page.pairs.map(toConflictView),
      total: page.total,
      page: page.page,
      page_size: page.pageSize,
      has_more: (page.page - 1) * page.pageSize + page.pairs.length < page.total,
    };
  }

  @Post('scan')
  @RequireScope('write')
  @HttpCode(202)
  @ApiOperation({ summary: 'Scan this namespace for contradictions as a job; proposals appear in GET /api/conflicts' })
  @ApiErrors(400, 401, 429, 503)
  async scan() {
    const job = await this.conflicts.requestScan();
    return { success: true, job_id: job.id, status_url: `/api/conflicts/scan/${job.id}`, job };
  }

  @Get('scan/:id')
  @ApiOperation({ summary: 'A scan job of this namespace: state, progress, and its counts once done' })
  @ApiErrors(400, 401, 404, 503)
  scanJob(@Param('id', jobIdPipe) id: string) {
    return this.conflicts.scanJob(id);
  }

  @Post('resolve')
  @RequireScope('write')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Decide a proposal: supersede (keep names the memory that stays true), keep_both or dismiss; remembered, ' +
      'so the pair is not proposed again. Repeating a decision changes nothing.',
  })
  @ApiErrors(400, 401, 404, 409, 415)
  async resolve(@ZodBody(ResolveConflictBody) body: ResolveConflictInput) {
    const outcome = await this.conflicts.resolve(body);
    return {
      success: true,
      unchanged: outcome.unchanged,
      conflict: toConflictView(outcome.pair),
      ...(outcome.supersession ? { superseded: toMemoryView(outcome.supersession.previous) } : {}),
    };
  }
}
