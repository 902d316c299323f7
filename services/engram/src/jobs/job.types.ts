import { STORE_WIDE } from '../events/engram-event';

/** Every kind of job Engram runs; each maps to exactly one processor (checked at start-up). */
export enum JobName {
  Backup = 'backup',
  Restore = 'restore',
  Reindex = 'reindex',
  Import = 'import',
  ConflictScan = 'conflict-scan',
  Consolidate = 'consolidate',
}

/** The one queue maintenance jobs share: they all touch the database file, so they run one at a time. */
export enum QueueName {
  Maintenance = 'engram-maintenance',
}

export const JOB_STATES = ['waiting', 'active', 'completed', 'failed', 'cancelled', 'delayed'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface BackupJobData {
  /** Why the backup is taken: `manual` (REST, CLI), `scheduled`, or `pre-restore`. */
  reason: 'manual' | 'scheduled' | 'pre-restore';
}

export interface RestoreJobData {
  backupId: string;
}

/** The target model is the embedding model configured in the process that runs the job. */
export type ReindexJobData = Record<string, never>;

/** An import: what to read, how to read it, where it goes, and for whom (jobs run outside requests). */
export interface ImportJobData {
  /** An ImportSource, or `auto` to detect it from the file. */
  source: string;
  target: 'memories' | 'memory-dir';
  dryRun: boolean;
  /** The namespace of the requester: the processor runs in it. */
  namespace: string;
  /**
   * An upload waiting in the upload folder (by id), a path inside ENGRAM_IMPORT_DIR (REST), or any path
   * the operator named on the command line (`engram import`; never created from HTTP).
   */
  input:
    | { kind: 'upload'; uploadId: string; fileName: string }
    | { kind: 'path'; path: string }
    | { kind: 'local'; path: string };
}

/** A contradiction scan of one namespace (conflicts/). */
export interface ConflictScanJobData {
  namespace: string;
}

/** A consolidation run of one namespace (consolidation/): proposals stored, applied only when asked. */
export interface ConsolidateJobData {
  namespace: string;
  /** Cosine similarity from which memories are proposed for merging. */
  similarity: number;
  /** Memories older than this, never used, are proposed for archiving. */
  staleDays: number;
  /** False: the job applies its whole proposal set once stored (an explicit request, never the default). */
  dryRun: boolean;
  /** MCP Memory Service's time_horizon, echoed in the result; it does not change what is proposed. */
  horizon?: string;
}

export interface JobDataByName {
  [JobName.Backup]: BackupJobData;
  [JobName.Restore]: RestoreJobData;
  [JobName.Reindex]: ReindexJobData;
  [JobName.Import]: ImportJobData;
  [JobName.ConflictScan]: ConflictScanJobData;
  [JobName.Consolidate]: ConsolidateJobData;
}

export type AnyJobData = JobDataByName[JobName];

/** A job as clients see it (REST, CLI, events); the same shape for both queue adapters. */
export interface JobView {
  id: string;
  name: JobName;
  queue: QueueName;
  state: JobState;
  /** 0-100. */
  progress: number;
  /** What the job is doing now, for people (e.g. "embedded 3,200 of 5,000"). */
  stage?: string;
  data: AnyJobData;
  /** What the job found out about its work while it ran (an import: the source it detected), whatever its end. */
  details?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: string;
  /**
   * Why a failed job failed, as a stable code beside `error`'s words (failureCode: `store_busy`,
   * `database_busy`, `backup_corrupted`, `import_rejected`, …); absent for a failure of no known kind.
   */
  error_code?: string;
  attempts: number;
  created_at: string;
  started_at?: string;
  finished_at?: string;
}

export interface JobProgress {
  percent: number;
  stage: string;
  details?: Record<string, unknown>;
  /** BullMQ: the code of the last attempt's failure (a running worker may update nothing but the progress). */
  error_code?: string;
}

export type JobCounts = Record<JobState, number>;

export function emptyCounts(): JobCounts {
  return Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as JobCounts;
}

/**
 * The namespace a job belongs to: the one that asked for it (imports, scans, consolidation), or STORE_WIDE
 * for whole-store jobs (backups, restores, reindexing). Its events go to that namespace's streams, and its
 * end counts against that namespace's finished jobs kept (ENGRAM_JOBS_KEEP_FINISHED), no other's.
 */
export function jobNamespace(data: unknown): string {
  const namespace = (data as { namespace?: unknown } | undefined)?.namespace;
  return typeof namespace === 'string' ? namespace : STORE_WIDE;
}
