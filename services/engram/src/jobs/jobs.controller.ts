import { Controller, Delete, Get, Inject, Param } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/route-access';
import { ApiErrors, ZodQuery } from '../common/api-schema.decorators';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { JOB_QUEUE, JobQueue } from './job-queue';
import { JobNotFound } from './job.errors';
import { JobView } from './job.types';
import { JobIdParam, ListJobsInput, ListJobsQuery } from './jobs.dto';

const idPipe = new ZodValidationPipe(JobIdParam, 'path');

@ApiTags('jobs')
@ApiSecurity('api_key')
@RequireScope('admin')
@Controller('api/jobs')
export class JobsController {
  constructor(@Inject(JOB_QUEUE) private readonly queue: JobQueue) {}

  @Get()
  @ApiOperation({ summary: 'Recent jobs (backups, restores, reindexing), newest first, with progress' })
  @ApiErrors(400, 401, 503)
  async list(@ZodQuery(ListJobsQuery) query: ListJobsInput) {
    const jobs = await this.queue.list(query.limit);
    return { jobs, total: jobs.length, mode: this.queue.kind };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One job: state, progress, result or error' })
  @ApiErrors(400, 401, 404, 503)
  async get(@Param('id', idPipe) id: string): Promise<JobView> {
    const job = await this.queue.get(id);
    if (!job) throw new JobNotFound(id);
    return job;
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Cancel a job: a waiting job is removed; a running one stops at its next safe point (409 once ended)',
  })
  @ApiErrors(400, 401, 404, 409, 503)
  async cancel(@Param('id', idPipe) id: string) {
    if (!(await this.queue.get(id))) throw new JobNotFound(id);
    const outcome = await this.queue.cancel(id);
    return { success: true, job_id: id, status: outcome };
  }
}
