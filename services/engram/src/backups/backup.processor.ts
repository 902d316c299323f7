import { Injectable } from '@nestjs/common';
import { JobContext, JobProcessor } from '../jobs/job-processor';
import { BackupJobData, JobName } from '../jobs/job.types';
import { BackupService, sizeOf } from './backup.service';

@Injectable()
export class BackupProcessor implements JobProcessor<JobName.Backup> {
  readonly name = JobName.Backup;

  constructor(private readonly backups: BackupService) {}

  async process(data: BackupJobData, job: JobContext): Promise<Record<string, unknown>> {
    const manifest = await this.backups.createBackup(data.reason, job);
    return {
      backup_id: manifest.id,
      filename: manifest.id,
      size_bytes: sizeOf(manifest),
      created_at: manifest.created_at,
      duration_seconds: manifest.duration_ms / 1000,
      memories: manifest.counts.live_memories,
    };
  }
}
