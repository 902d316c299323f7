import { Injectable } from '@nestjs/common';
import { JobContext, JobProcessor } from '../jobs/job-processor';
import { ImportJobData, JobName } from '../jobs/job.types';
import { ImportsService } from './imports.service';

@Injectable()
export class ImportsProcessor implements JobProcessor<JobName.Import> {
  readonly name = JobName.Import;

  constructor(private readonly imports: ImportsService) {}

  async process(data: ImportJobData, job: JobContext): Promise<Record<string, unknown>> {
    return { ...(await this.imports.runImport(data, job)) };
  }

  async discard(data: ImportJobData): Promise<void> {
    await this.imports.discardUpload(data);
  }
}
