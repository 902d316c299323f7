import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/route-access';
import { ApiErrors, ApiZodQuery } from '../common/api-schema.decorators';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { AuditQuery } from './audit-event';
import { AuditQueryFields, AuditQueryInput } from './audit.dto';
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
  @ApiZodQuery(AuditQueryFields)
  @ApiErrors(400, 401, 403)
  async list(@Query(new ZodValidationPipe(AuditQueryInput, 'query')) query: AuditQuery) {
    return toAuditPageView(await this.audit.find(query));
  }
}
