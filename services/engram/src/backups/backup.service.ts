import { AuditAction } from '../audit/audit-event';
import { AuditService } from '../audit/audit.service';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { join } from 'node:path';
import { ENGRAM_VERSION } from '../common/version';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { STORE_WIDE } from '../events/engram-event';
import { EventBus } from '../events/event-bus';
import { JobContext, jobLockWait } from '../jobs/job-processor';
import { BackupJobData } from '../jobs/job.types';
import { EngramMetrics } from '../metrics/engram-metrics';
import { StoreLocks } from '../storage/locks/store-locks';
import { canonicalModelId } from '../storage/embedding-model-id';
import { SettingsStore } from '../storage/settings.store';
import {
  BACKUP_ID_PATTERN,
  backupDate,
  backupIdAt,
  BackupFormat,
  BackupManifest,
  BackupReason,
  MEMORY_ARCHIVE_FILE,
  StoredBackup,
} from './backup-manifest';
import {
  archivedMemoryRefused,
  BackupCorrupted,
  BackupIncompatible,
  BackupInUse,
  BackupNotFound,
} from './backup.errors';
import { abandonedStagings, BackupLeftover } from './backup-leftovers';
import { BackupRepository } from './backup.repository';
import { backupsToPrune } from './backup-retention';
import { AgentFilesArchive } from './agent-files.archive';
import { DatabaseBackupTarget } from './database-backup.target';
import { DatabaseSummary } from '../storage/sqlite-file/database-snapshot';
import { SwapOutcome } from '../storage/sqlite-file/database-swap';

/** Progress reporting and cancellation; callers outside a job (tests, the pre-restore backup) pass SILENT. */
type Progress = Pick<JobContext, 'progress' | 'throwIfCancelled' | 'enterFinalStep'>;
const SILENT: Progress = {
  progress: async () => undefined,
  throwIfCancelled: async () => undefined,
  enterFinalStep: async () => undefined,
};
/** Why a restore past its checks refuses a cancel: the swap it has begun must run to its end. */
const RESTORE_SWAPPING = 'the restore is swapping the backup into the store and must finish';
/** A deletion waits this long for a restore reading the backups (or swapping the memory directory). */
const DELETE_LOCK_WAIT = { timeoutMs: 10_000 };
const FORMAT_NAMES: Record<BackupFormat, string> = {
  sqlite: '"sqlite" (a SQLite database file)',
  'engram-export': '"engram-export" (a portable export of a PostgreSQL store)',
};

export interface RestoreOutcome {
  backup_id: string;
  pre_restore_backup_id: string;
  memories: number;
  live_memories: number;
  memory_dir_restored: boolean;
  swap_transaction_ms: number;
}

/**
 * Backups and restore: what a backup holds, how it is verified, which ones are kept, and the order a
 * restore follows (verify, keep the current state as a backup, swap the data in, then the memory dir).
 */
@Injectable()
export class BackupService {
  private readonly logger = new Logger('Backups');

  constructor(
    private readonly files: BackupRepository,
    private readonly database: DatabaseBackupTarget,
    private readonly agentFiles: AgentFilesArchive,
    private readonly settings: SettingsStore,
    private readonly events: EventBus,
    private readonly metrics: EngramMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly locks: StoreLocks,
    private readonly audit: AuditService,
  ) {}

  /**
   * Copies the live database and the memory directory, verifies the copy, and keeps it under a new id.
   * A restore waits for it (and it for a restore); writers of the memory directory wait while it is archived.
   */
  createBackup(reason: BackupJobData['reason'], job: Progress = SILENT): Promise<BackupManifest> {
    return this.locks.storeWork(() => this.writeBackup(reason, job), jobLockWait(job, 0));
  }

  /** The backup itself; the caller holds the store lock (a backup's shared one, or a restore's own). */
  private writeBackup(reason: BackupJobData['reason'], job: Progress): Promise<BackupManifest> {
    return this.keepBackup(reason, job, [], async (databaseCopy) => {
      await job.progress(5, 'copying and verifying the database');
      return this.database.writeCopy(databaseCopy);
    });
  }

  /**
   * A new backup whose data file `copyDatabase` writes (and summarises), completed with the memory
   * directory's archive and a manifest. When the copy was a restore's (the state it replaced), the data
   * has been swapped by the time anything else could fail: the staged copy is then kept, not discarded.
   */
  private async keepBackup(
    reason: BackupJobData['reason'],
    job: Progress,
    keep: readonly string[],
    copyDatabase: (path: string) => Promise<DatabaseSummary>,
  ): Promise<BackupManifest> {
    const started = Date.now();
    const id = await this.unusedId();
    const manifest = await this.locks.writeStaging(id, () =>
      this.assembleBackup({ id, reason, started }, job, copyDatabase),
    );
    await this.prune(new Set([id, ...keep]));
    await this.removeAbandonedStagings();
    this.metrics.lastBackupTimestamp.set(Date.parse(manifest.created_at) / 1000);
    this.events.publish(
      'backup_created',
      {
        backup_id: id,
        reason,
        size_bytes: sizeOf(manifest),
        memories: manifest.counts.live_memories,
      },
      STORE_WIDE,
    );
    this.logger.log({ msg: 'Backup created', backup: id, reason, ms: manifest.duration_ms });
    await job.progress(100, 'done');
    return manifest;
  }

  /** The backup's files in its staging folder, verified and renamed into place under its id. */
  private async assembleBackup(
    { id, reason, started }: { id: string; reason: BackupReason; started: number },
    job: Progress,
    copyDatabase: (path: string) => Promise<DatabaseSummary>,
  ): Promise<BackupManifest> {
    const staging = await this.files.stage(id, reason);
    let copied = false;
    try {
      const databaseCopy = join(staging, this.database.dataFile);
      const summary = await copyDatabase(databaseCopy);
      copied = true;
      if (summary.integrity !== 'ok')
        throw new BackupCorrupted(`The fresh copy failed its integrity check: ${summary.integrity}`);
      await job.progress(65, 'archiving the memory directory');
      const archive = join(staging, MEMORY_ARCHIVE_FILE);
      const archived = await this.locks.archiveMemoryDir(() => this.agentFiles.archive(archive), jobLockWait(job, 65));
      await job.progress(85, 'recording checksums');
      const manifest: BackupManifest = {
        id,
        created_at: backupDate(id).toISOString(),
        reason,
        engram_version: ENGRAM_VERSION,
        format: this.database.format,
        schema_version: summary.schemaVersion,
        embedding: { model: summary.embeddingModel, dimension: summary.embeddingDimension },
        database: await this.fileEntry(databaseCopy),
        memory_dir: archived ? await this.fileEntry(archive) : null,
        counts: countsOf(summary),
        integrity_check: 'ok',
        duration_ms: Date.now() - started,
      };
      await this.files.commit(staging, manifest);
      return manifest;
    } catch (error) {
      if (copied && reason === 'pre-restore') {
        this.logger.error({ msg: 'The restore is done, but its pre-restore backup could not be completed', staging });
      } else {
        await this.files.discard(staging);
      }
      throw error;
    }
  }

  /** Every backup, newest first, corrupt ones included (they take disk until pruned). */
  listBackups(): Promise<StoredBackup[]> {
    return this.files.list();
  }

  /**
   * What crashes left of backups and restores, newest first: staging folders no process writes (one being
   * written is a backup under way, not a leftover) and the memory directory's copies a restore swaps.
   */
  async listLeftovers(): Promise<BackupLeftover[]> {
    const found = await this.leftoversOnDisk();
    const written = await Promise.all(
      found.map((leftover) => leftover.kind === 'staging' && this.locks.stagingBeingWritten(leftover.backupId!)),
    );
    return found.filter((_, index) => !written[index]).sort((a, b) => b.modifiedAt - a.modifiedAt);
  }

  /**
   * Deletes a listed backup (by id) or a leftover (by name), and answers what it took on disk. 404 when
   * nothing listed has that name, 409 for a staging folder a backup is writing. A restore reading a backup
   * or swapping the memory directory is waited for (503 store_busy when it takes too long).
   */
  async deleteBackup(name: string): Promise<{ name: string; bytes: number }> {
    const deleted = await this.locks.storeWork(async () => {
      if (BACKUP_ID_PATTERN.test(name)) {
        const backup = await this.files.read(name);
        if (!backup) throw new BackupNotFound(name);
        await this.files.remove(name);
        return { name, bytes: backup.state === 'ok' ? sizeOf(backup.manifest) : backup.bytes, kind: 'backup' };
      }
      // Staging folders being written are looked at too: deleting one is refused, not unknown.
      const leftover = (await this.leftoversOnDisk()).find((found) => found.name === name);
      if (!leftover) throw new BackupNotFound(name, `No backup or incomplete backup named ${name}`);
      const removeIt = () => this.files.removeLeftover(leftover);
      if (leftover.kind !== 'staging') await removeIt();
      else if (!(await this.locks.whileStagingAbandoned(leftover.backupId!, removeIt))) {
        throw new BackupInUse(`${name} is the staging folder of a backup being written now; it is not deleted`);
      }
      this.logger.log({ msg: 'Incomplete backup deleted', name, kind: leftover.kind, bytes: leftover.bytes });
      return { name, bytes: leftover.bytes, kind: leftover.kind };
    }, DELETE_LOCK_WAIT);
    await this.audit.record({
      action: AuditAction.BackupDelete,
      outcome: 'success',
      target: deleted.name,
      namespace: null,
      details: { kind: deleted.kind, size_bytes: deleted.bytes },
    });
    return { name: deleted.name, bytes: deleted.bytes };
  }

  /** Every staging folder in the backups folder, and the copies a restore left of the data and the memory files. */
  private async leftoversOnDisk(): Promise<BackupLeftover[]> {
    return [
      ...(await this.files.stagingLeftovers()),
      ...(await this.database.leftovers()),
      ...(await this.agentFiles.leftovers()),
    ];
  }

  /**
   * Removes the staging folders of manual and scheduled backups cut short (abandonedStagings) that no
   * process writes: after each backup, in the background when an api, a worker or `engram mcp` starts, and as a
   * job command starts (cli/job-command.ts). Never fails (nor the backup or command that runs it): what stays is
   * removed the next time.
   */
  async removeAbandonedStagings(): Promise<void> {
    try {
      for (const leftover of abandonedStagings(await this.files.stagingLeftovers())) {
        const removed = await this.locks.whileStagingAbandoned(leftover.backupId!, () =>
          this.files.removeLeftover(leftover),
        );
        if (removed) this.logger.log({ msg: 'Abandoned backup staging folder removed', name: leftover.name });
        else this.logger.log({ msg: 'Backup staging folder kept: a process is writing it', name: leftover.name });
      }
    } catch (error) {
      this.logger.warn({ msg: 'Abandoned backup staging folders not removed', error: (error as Error).message });
    }
  }

  /**
   * The backup's manifest; 404 when the id names none, 422 when its manifest cannot be read. Accepts
   * the id or its listed file name.
   */
  async findBackup(idOrFilename: string): Promise<BackupManifest> {
    const id = idOrFilename.replace(/\/.*$/, '');
    const backup = BACKUP_ID_PATTERN.test(id) ? await this.files.read(id) : undefined;
    if (!backup) throw new BackupNotFound(idOrFilename);
    if (backup.state === 'corrupt') {
      throw new BackupCorrupted(`Backup ${id} is corrupt and will not be restored: ${backup.problem}`);
    }
    return backup.manifest;
  }

  /** The backup's manifest when this deployment can restore its format: 404 when unknown, 409 when not. */
  async findRestorable(idOrFilename: string): Promise<BackupManifest> {
    const manifest = await this.findBackup(idOrFilename);
    this.checkFormat(manifest);
    return manifest;
  }

  /**
   * Checksums, integrity check and counts against the manifest; throws BackupCorrupted on any difference,
   * BackupIncompatible for a backup of the other storage backend's format.
   */
  async verifyBackup(id: string): Promise<BackupManifest> {
    const manifest = await this.findBackup(id);
    this.checkFormat(manifest);
    const databasePath = this.files.fileOf(manifest.id, manifest.database.file);
    await this.checkFile(manifest, databasePath, manifest.database);
    if (manifest.memory_dir) {
      await this.checkFile(manifest, this.files.fileOf(manifest.id, MEMORY_ARCHIVE_FILE), manifest.memory_dir);
    }
    const summary = await this.database.summarise(databasePath);
    if (summary.integrity !== 'ok') {
      throw new BackupCorrupted(`Backup ${manifest.id} fails the integrity check: ${summary.integrity}`);
    }
    if (JSON.stringify(countsOf(summary)) !== JSON.stringify(manifest.counts)) {
      throw new BackupCorrupted(`Backup ${manifest.id} does not hold the rows its manifest records`);
    }
    return manifest;
  }

  /**
   * Swaps a verified backup in while the service keeps answering; the state it replaces is kept as a
   * `pre-restore` backup first. Nothing is changed when verification fails.
   */
  restoreBackup(id: string, job: Progress = SILENT): Promise<RestoreOutcome> {
    // Exclusive across every process: running backups, imports, reindexing and agent runs finish
    // first, and none starts until the swap and the memory directory are done.
    return this.locks.restore(() => this.swapInBackup(id, job), jobLockWait(job, 1));
  }

  private async swapInBackup(id: string, job: Progress): Promise<RestoreOutcome> {
    await job.progress(2, 'verifying the backup');
    const manifest = await this.verifyBackup(id);
    await this.checkCompatible(manifest);
    // A cancel asked from here on is refused: a swap cut short would leave a restore half done.
    await job.enterFinalStep(RESTORE_SWAPPING);
    await job.progress(20, 'keeping the current state as a backup and swapping the data in');
    let swapped: SwapOutcome | undefined;
    const before = await this.keepBackup('pre-restore', SILENT, [manifest.id], async (databaseCopy) => {
      swapped = await this.database.restore(this.files.fileOf(manifest.id, manifest.database.file), databaseCopy);
      return swapped.replaced;
    });
    const swap = swapped!;
    await job.progress(85, 'restoring the memory directory');
    const memoryDirRestored = await this.restoreMemoryDir(manifest, before);
    const outcome: RestoreOutcome = {
      backup_id: manifest.id,
      pre_restore_backup_id: before.id,
      memories: swap.memories,
      live_memories: swap.liveMemories,
      memory_dir_restored: memoryDirRestored,
      swap_transaction_ms: swap.transactionMs,
    };
    this.events.publish('restore_completed', { ...outcome }, STORE_WIDE);
    this.logger.log({ msg: 'Backup restored', ...outcome });
    await job.progress(100, 'done');
    return outcome;
  }

  /** Deletes what the retention rules (backup-retention.ts) let go; `keep` is never deleted. */
  async prune(keep: ReadonlySet<string> = new Set()): Promise<string[]> {
    const doomed = backupsToPrune(await this.files.list(), this.config.backups, keep);
    for (const id of doomed) await this.files.remove(id);
    return doomed;
  }

  /** The newest sound backup's time, for engram_last_backup_timestamp_seconds. */
  async refreshLastBackupMetric(): Promise<void> {
    const newest = newestSound(await this.files.list());
    if (newest) this.metrics.lastBackupTimestamp.set(Date.parse(newest.created_at) / 1000);
  }

  private checkFormat(manifest: BackupManifest): void {
    if (manifest.format === this.database.format) return;
    throw new BackupIncompatible(
      `Backup ${manifest.id} is in the ${FORMAT_NAMES[manifest.format]} format, but this deployment's backups and ` +
        `restores use the ${FORMAT_NAMES[this.database.format]} format: restore it on a deployment of that storage ` +
        'backend, or carry the memories over with `engram export` and `engram import`',
    );
  }

  private async checkCompatible(manifest: BackupManifest): Promise<void> {
    const liveSchema = await this.database.schemaVersion();
    if (manifest.schema_version > liveSchema) {
      throw new BackupIncompatible(
        `Backup ${manifest.id} has schema version ${manifest.schema_version}, newer than this database (${liveSchema}); upgrade Engram first`,
      );
    }
    const liveModel = (await this.settings.embeddingModel())?.modelId;
    const backupModel = canonicalModelId(manifest.embedding.model ?? undefined);
    if (backupModel !== undefined && liveModel !== undefined && backupModel !== liveModel) {
      throw new BackupIncompatible(
        `Backup ${manifest.id} holds vectors of embedding model "${manifest.embedding.model}" but this database uses "${liveModel}"; ` +
          'configure that model to restore it, then `engram reindex` if you want to change models',
      );
    }
    await this.checkMemoryArchive(manifest);
  }

  /**
   * Refuses, before anything is swapped, a backup whose memory archive its extraction would refuse part-way
   * (a path out of it, a link) or whose memory is over the limits of the store it restores into (one made by
   * hand, or by a deployment with larger limits): read from the archive's headers, so no file is held in memory.
   */
  private async checkMemoryArchive(manifest: BackupManifest): Promise<void> {
    if (!manifest.memory_dir) return;
    const archive = this.files.fileOf(manifest.id, MEMORY_ARCHIVE_FILE);
    const problem = await this.files.archivedMemoryProblem(archive, this.agentFiles.limits);
    if (problem) throw archivedMemoryRefused(problem, manifest.id);
  }

  private async restoreMemoryDir(manifest: BackupManifest, before: BackupManifest): Promise<boolean> {
    if (!manifest.memory_dir && !before.memory_dir) return false;
    const archive = manifest.memory_dir ? this.files.fileOf(manifest.id, MEMORY_ARCHIVE_FILE) : undefined;
    await this.agentFiles.replace(archive);
    return true;
  }

  private async checkFile(manifest: BackupManifest, path: string, entry: BackupManifest['database']): Promise<void> {
    let actual: { bytes: number; sha256: string };
    try {
      actual = await this.files.digest(path);
    } catch (error) {
      throw new BackupCorrupted(`Backup ${manifest.id} is missing ${entry.file}: ${(error as Error).message}`);
    }
    if (actual.bytes !== entry.bytes || actual.sha256 !== entry.sha256) {
      throw new BackupCorrupted(
        `Backup ${manifest.id}: ${entry.file} does not match its recorded checksum (truncated or altered); it will not be restored`,
      );
    }
  }

  private async fileEntry(path: string): Promise<BackupManifest['database']> {
    const file = path.slice(path.lastIndexOf('/') + 1);
    return { file, ...(await this.files.digest(path)) };
  }

  /** Ids are timestamps to the millisecond; two backups in the same millisecond wait for the next one. */
  private async unusedId(): Promise<string> {
    const existing = new Set((await this.files.list()).map((backup) => backup.id));
    let id = backupIdAt(new Date());
    while (existing.has(id)) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      id = backupIdAt(new Date());
    }
    return id;
  }
}

function countsOf(summary: DatabaseSummary): BackupManifest['counts'] {
  return {
    memories: summary.counts.memories,
    live_memories: summary.counts.liveMemories,
    tags: summary.counts.tags,
    embeddings: summary.counts.embeddings,
  };
}

/** The newest backup that has a sound manifest. */
function newestSound(backups: readonly StoredBackup[]): BackupManifest | undefined {
  return backups.find((backup) => backup.state === 'ok')?.manifest;
}

export function sizeOf(manifest: BackupManifest): number {
  return manifest.database.bytes + (manifest.memory_dir?.bytes ?? 0);
}
