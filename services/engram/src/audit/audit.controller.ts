import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/route-access';
import { ApiErrors, ZodQuery } from '../common/api-schema.decorators';
import { AuditQuery } from './audit-event';
import { AuditQueryInput } from './audit.dto';
import { AuditService } from './audit.service';
import { toAuditPageView } from './audit.view';

@ApiTags('admin')
@ApiSecurity('api_key')
@RequireScope('admin')
@Controller('api/admin/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ summary: 'The audit log, newest first: who did what, from where, and how it went' })
  @ApiErrors(400, 401, 403)
  async list(@ZodQuery(AuditQueryInput) query: AuditQuery) {
    return toAuditPageView(await this.audit.find(query));
  }
}
