import { Injectable } from '@nestjs/common';
import { JobContext, JobProcessor } from '../jobs/job-processor';
import { ImportJobData, JobName } from '../jobs/job.types';
import { ImportService } from './import.service';

@Injectable()
export class ImportProcessor implements JobProcessor<JobName.Import> {
  readonly name = JobName.Import;

  constructor(private readonly imports: ImportService) {}

  async process(data: ImportJobData, job: JobContext): Promise<Record<string, unknown>> {
    return { ...(await this.imports.runImport(data, job)) };
  }
}
