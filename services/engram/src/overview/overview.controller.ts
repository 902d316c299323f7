import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-schema.decorators';
import { OverviewService } from './overview.service';
import { OverviewFigures } from './overview.view';

@ApiTags('overview')
@ApiSecurity('api_key')
@Controller('api/overview')
export class OverviewController {
  constructor(private readonly overview: OverviewService) {}

  @Get()
  @ApiOperation({
    summary:
      "Figures for charts: the namespace's memories per day (30 days), by type and top tags; the server's request rate and search latency (last hour, unbound credentials only)",
  })
  @ApiErrors(401, 403)
  figures(): Promise<OverviewFigures> {
    return this.overview.figures();
  }
}
