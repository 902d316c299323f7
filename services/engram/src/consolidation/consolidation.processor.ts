import { Injectable } from '@nestjs/common';
import { JobContext, JobProcessor } from '../jobs/job-processor';
import { ConsolidateJobData, JobName } from '../jobs/job.types';
import { ConsolidationService } from './consolidation.service';

@Injectable()
export class ConsolidationProcessor implements JobProcessor<JobName.Consolidate> {
  readonly name = JobName.Consolidate;

  constructor(private readonly consolidation: ConsolidationService) {}

  process(data: ConsolidateJobData, job: JobContext): Promise<Record<string, unknown>> {
    return this.consolidation.run(data, job);
  }
}
