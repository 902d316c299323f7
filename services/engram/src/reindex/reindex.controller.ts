import { Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/route-access';
import { accepted } from '../backups/backups.controller';
import { ApiErrors } from '../common/api-schema.decorators';
import { JOB_QUEUE, JobQueue } from '../jobs/job-queue';
import { JobName } from '../jobs/job.types';

@ApiTags('jobs')
@ApiSecurity('api_key')
@RequireScope('admin')
@Controller('api/admin')
export class ReindexController {
  constructor(@Inject(JOB_QUEUE) private readonly queue: JobQueue) {}

  @Post('reindex')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Queue a reindex: re-embed every memory with the configured model; search uses the old vectors until the switch',
  })
  @ApiErrors(400, 401, 429, 503)
  async queueReindex() {
    // One reindex at a time: a second request while one waits or runs returns that job.
    return accepted(await this.queue.enqueue(JobName.Reindex, {}, { joinKey: 'reindex' }));
  }
}
