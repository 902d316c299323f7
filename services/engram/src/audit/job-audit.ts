import { Principal } from '../auth/request-context';
import { CancelOutcome, EnqueueOptions, JobQueue } from '../jobs/job-queue';
import { AnyJobData, ImportJobData, JobCounts, JobDataByName, JobName, JobView } from '../jobs/job.types';
import { AuditAction } from './audit-event';
import { AuditEntry, AuditService } from './audit.service';

const ACTIONS: Record<JobName, AuditAction> = {
  [JobName.Backup]: AuditAction.Backup,
  [JobName.Restore]: AuditAction.Restore,
  [JobName.Reindex]: AuditAction.Reindex,
  [JobName.Import]: AuditAction.Import,
  [JobName.ConflictScan]: AuditAction.ConflictScan,
  [JobName.Consolidate]: AuditAction.Consolidate,
};

/** Who finishes jobs: the process running them, whoever asked (the request is its own entry). */
export const JOB_RUNNER: Principal = { kind: 'local', id: 'job-runner', scopes: ['admin'] };

/** The entry of a job's end: the job id links it to the entry of its request. */
export function jobEndEntry(
  job: { id: string; name: JobName; data: AnyJobData },
  outcome: { result: Record<string, unknown> } | { error: Error },
): AuditEntry {
  const details = 'error' in outcome ? { error: outcome.error.message.slice(0, 200) } : factsOf(outcome.result);
  return {
    action: ACTIONS[job.name],
    outcome: 'error' in outcome ? 'failure' : 'success',
    target: job.id,
    namespace: namespaceOf(job.data),
    details,
    actor: { principal: JOB_RUNNER, clientAddress: 'local' },
  };
}

/**
 * The queue, with every request for a job (REST, MCP, CLI) in the audit log under the caller's name.
 * Scheduled backups are not requested by anyone; their end is recorded like every job's.
 */
export class AuditedJobQueue implements JobQueue {
  readonly kind: JobQueue['kind'];
  readonly queue: JobQueue['queue'];

  constructor(
    private readonly inner: JobQueue,
    private readonly audit: AuditService,
  ) {
    this.kind = inner.kind;
    this.queue = inner.queue;
  }

  async enqueue<N extends JobName>(name: N, data: JobDataByName[N], options?: EnqueueOptions): Promise<JobView> {
    const job = await this.inner.enqueue(name, data, options);
    await this.audit.record({
      action: ACTIONS[name],
      outcome: 'requested',
      target: job.id,
      namespace: namespaceOf(data),
      details: requestFacts(name, data),
    });
    return job;
  }

  get(id: string): Promise<JobView | undefined> {
    return this.inner.get(id);
  }
  list(limit: number, namespace?: string): Promise<JobView[]> {
    return this.inner.list(limit, namespace);
  }
  cancel(id: string): Promise<CancelOutcome> {
    return this.inner.cancel(id);
  }
  counts(): Promise<JobCounts> {
    return this.inner.counts();
  }
  schedule<N extends JobName>(name: N, cron: string | undefined, data: JobDataByName[N]): Promise<void> {
    return this.inner.schedule(name, cron, data);
  }
  nextRun(name: JobName): Promise<Date | undefined> {
    return this.inner.nextRun(name);
  }
  start(): Promise<void> {
    return this.inner.start();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  ping(): Promise<void> {
    return this.inner.ping();
  }
}

/** Imports, conflict scans and consolidation runs act in their namespace; the other jobs on the whole store. */
function namespaceOf(data: AnyJobData): string | null {
  const namespace = (data as Partial<ImportJobData>).namespace;
  return typeof namespace === 'string' ? namespace : null;
}

function requestFacts(name: JobName, data: AnyJobData): Record<string, unknown> {
  if (name === JobName.Backup) return { reason: (data as JobDataByName[JobName.Backup]).reason };
  if (name === JobName.Restore) return { backup_id: (data as JobDataByName[JobName.Restore]).backupId };
  if (name !== JobName.Import) return {};
  const { source, target, dryRun, input } = data as ImportJobData;
  return {
    source,
    target,
    dry_run: dryRun,
    input: input.kind,
    file: 'fileName' in input ? input.fileName : input.path,
  };
}

/** Counts, flags and ids of a job's result; its texts (which may quote imported content) stay out. */
function factsOf(result: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(result).filter(
      ([key, value]) =>
        typeof value === 'number' ||
        typeof value === 'boolean' ||
        (key.endsWith('_id') && typeof value === 'string' && value.length <= 64),
    ),
  );
}
