import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { Readable } from 'node:stream';
import { RequireScope } from '../auth/route-access';
import { ApiErrors, ZodQuery } from '../common/api-schema.decorators';
import { ExportInput, ExportQuery } from './export.dto';
import { MemoryExportService } from './memory-export.service';

/** The portable export over REST: every namespace's memories (or one's), as a stream. */
@ApiTags('backups')
@ApiSecurity('api_key')
@RequireScope('admin')
@Controller('api')
export class ExportController {
  constructor(private readonly exports: MemoryExportService) {}

  @Get('export')
  @Header('content-type', 'application/x-ndjson; charset=utf-8')
  @Header('cache-control', 'no-store')
  @ApiProduces('application/x-ndjson')
  @ApiOperation({
    summary:
      'Stream the portable export (NDJSON: a header, one line per memory, an end line with count and SHA-256); import it with POST /api/import',
  })
  @ApiErrors(400, 401, 403, 429, 503)
  export(@ZodQuery(ExportQuery) query: ExportInput): Readable {
    return Readable.from(this.exports.lines(query));
  }
}
