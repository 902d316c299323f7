import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/route-access';
import { ApiErrors, ZodBody } from '../common/api-schema.decorators';
import { LargeBody } from '../common/request-body-size';
import { HarvestBody, HarvestInput } from './harvest.dto';
import { HarvestService } from './harvest.service';
import { toHarvestView } from './harvest.view';

@ApiTags('memories')
@ApiSecurity('api_key')
@Controller('api/harvest')
export class HarvestController {
  constructor(private readonly harvest: HarvestService) {}

  @Post()
  @RequireScope('write')
  @LargeBody()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Extract candidate memories from a transcript with the configured chat model; returned for review, or ' +
      'stored with store: true (503 naming the settings when no endpoint is configured)',
  })
  @ApiErrors(400, 401, 413, 415, 502, 503)
  async harvestTranscript(@ZodBody(HarvestBody) body: HarvestInput) {
    return toHarvestView(await this.harvest.harvest(body));
  }
}
