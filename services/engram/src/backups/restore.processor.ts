import { Injectable } from '@nestjs/common';
import { JobContext, JobProcessor } from '../jobs/job-processor';
import { JobName, RestoreJobData } from '../jobs/job.types';
import { BackupService } from './backup.service';

@Injectable()
export class RestoreProcessor implements JobProcessor<JobName.Restore> {
  readonly name = JobName.Restore;

  constructor(private readonly backups: BackupService) {}

  async process(data: RestoreJobData, job: JobContext): Promise<Record<string, unknown>> {
    return { ...(await this.backups.restoreBackup(data.backupId, job)) };
  }
}
