import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/route-access';
import { ApiErrors, ZodBody, ZodQuery } from '../common/api-schema.decorators';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { ContentHashParam } from '../memories/memory.dto';
import { DistributionInput, DistributionQuery, RateMemoryBody, RateMemoryInput } from './quality.dto';
import { QualityService } from './quality.service';
import { toDistributionView, toQualityView, toRatingView } from './quality.view';

const hashPipe = new ZodValidationPipe(ContentHashParam, 'path');

// MCP Memory Service serves these under /api/quality/memories/{hash}; the shorter paths are Engram's.
@ApiTags('quality')
@ApiSecurity('api_key')
@RequireScope('read')
@Controller('api/quality')
export class QualityController {
  constructor(private readonly quality: QualityService) {}

  @Get('distribution')
  @ApiOperation({ summary: 'How current memories spread over quality (high ≥ 0.7, medium ≥ 0.5, low), best and worst' })
  @ApiErrors(400, 401)
  async distribution(@ZodQuery(DistributionQuery) query: DistributionInput) {
    return toDistributionView(await this.quality.distribution(query), {
      min: query.min_quality,
      max: query.max_quality,
    });
  }

  @Post([':hash/rate', 'memories/:hash/rate'])
  @RequireScope('write')
  @HttpCode(200)
  @ApiOperation({ summary: 'Rate a memory -1, 0 or 1 (with optional feedback); ratings weigh 60% of its quality' })
  @ApiErrors(400, 401, 404, 415)
  async rate(@Param('hash', hashPipe) hash: string, @ZodBody(RateMemoryBody) body: RateMemoryInput) {
    return toRatingView(await this.quality.rate(hash, body));
  }

  @Get([':hash', 'memories/:hash'])
  @ApiOperation({ summary: "A memory's quality score and the use and ratings it is built from" })
  @ApiErrors(400, 401, 404)
  async get(@Param('hash', hashPipe) hash: string) {
    return toQualityView(await this.quality.qualityOf(hash));
  }
}
