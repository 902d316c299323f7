import { Injectable } from '@nestjs/common';
import { JobContext, JobProcessor } from '../jobs/job-processor';
import { ConflictScanJobData, JobName } from '../jobs/job.types';
import { ConflictScanner } from './conflict-scanner';
import { counted } from '../common/counted';

@Injectable()
export class ConflictScanProcessor implements JobProcessor<JobName.ConflictScan> {
  readonly name = JobName.ConflictScan;

  constructor(private readonly scanner: ConflictScanner) {}

  async process(data: ConflictScanJobData, job: JobContext): Promise<Record<string, unknown>> {
    return this.scanner.scanNamespace(data.namespace, async ({ scanned, total }) => {
      await job.throwIfCancelled();
      await job.progress(
        Math.floor((scanned / Math.max(total, 1)) * 100),
        `reviewed ${scanned} of ${counted(total, 'memory', 'memories')}`,
      );
    });
  }
}
