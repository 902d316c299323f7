import { Injectable } from '@nestjs/common';
import { JobContext, JobProcessor } from '../jobs/job-processor';
import { JobName } from '../jobs/job.types';
import { ReindexService } from './reindex.service';

@Injectable()
export class ReindexProcessor implements JobProcessor<JobName.Reindex> {
  readonly name = JobName.Reindex;

  constructor(private readonly reindexer: ReindexService) {}

  async process(_data: unknown, job: JobContext): Promise<Record<string, unknown>> {
    return { ...(await this.reindexer.reindex(job)) };
  }
}
