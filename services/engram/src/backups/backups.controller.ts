import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RequireScope } from '../auth/route-access';
import { ApiErrors, ZodBody, ZodQuery } from '../common/api-schema.decorators';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { JOB_QUEUE, JobQueue } from '../jobs/job-queue';
import { followJob } from '../jobs/job-waiter';
import { JobName, JobView } from '../jobs/job.types';
import { BackupNameParam, BackupNowQuery, RestoreBody, RestoreInput } from './backup.dto';
import { BackupService } from './backup.service';
import { toBackupView, toLeftoverView } from './backup.view';

/** `POST /api/backup/now` waits this long for its job before answering 202 with the job instead. */
const BACKUP_NOW_WAIT_MS = 120_000;
/** Requests for a backup while one waits or runs share it (across api replicas with BullMQ). */
const MANUAL_BACKUP = { joinKey: 'manual-backup' };

/** Backups and restore over REST: the deployment guide's /api/admin paths and MCP Memory Service's /api/backup ones. */
@ApiTags('backups')
@ApiSecurity('api_key')
@RequireScope('admin')
@Controller('api')
export class BackupsController {
  constructor(
    private readonly backups: BackupService,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('admin/backup')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Queue a backup (database + memory directory), or join the one already waiting or running; follow it at /api/jobs/{id}',
  })
  @ApiErrors(400, 401, 429, 503)
  async queueBackup() {
    return accepted(await this.queue.enqueue(JobName.Backup, { reason: 'manual' }, MANUAL_BACKUP));
  }

  @Post('backup/now')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Back up now (joining a backup already waiting or running) and answer when done (202 with the job if it takes longer, or with ?wait=false)',
  })
  @ApiErrors(400, 401, 429, 503)
  async backupNow(@ZodQuery(BackupNowQuery) query: { wait: boolean }, @Res({ passthrough: true }) reply: FastifyReply) {
    const queued = await this.queue.enqueue(JobName.Backup, { reason: 'manual' }, MANUAL_BACKUP);
    const job = query.wait ? await followJob(this.queue, queued.id, { timeoutMs: BACKUP_NOW_WAIT_MS }) : queued;
    if (job?.state === 'completed') return { success: true, ...job.result, job_id: job.id };
    if (job?.state === 'failed') return { success: false, job_id: job.id, error: job.error };
    void reply.status(202);
    return accepted(job ?? queued);
  }

  @Get(['admin/backups', 'backup/list'])
  @ApiOperation({
    summary:
      'Backups, newest first (a corrupt one with state "corrupt" and its problem), and what crashes left of backups and restores (state "incomplete")',
  })
  @ApiErrors(401)
  async list() {
    const { backups, incomplete, bytes } = await this.listed();
    return {
      backups,
      incomplete,
      total_count: backups.length,
      incomplete_count: incomplete.length,
      total_size_bytes: bytes,
    };
  }

  @Delete('admin/backups/:name')
  @ApiOperation({
    summary:
      'Delete a backup (by id) or an incomplete one (by name), as listed; 409 for a staging folder a backup is writing now',
  })
  @ApiErrors(400, 401, 404, 409, 503)
  async delete(@Param('name', new ZodValidationPipe(BackupNameParam, 'path')) name: string) {
    const deleted = await this.backups.deleteBackup(name);
    return { success: true, deleted: deleted.name, size_bytes: deleted.bytes };
  }

  @Get('backup/status')
  @ApiOperation({ summary: 'Backup schedule, retention and the latest backup' })
  @ApiErrors(401)
  async status() {
    const { backups, incomplete, bytes } = await this.listed();
    const { schedule, retentionDays, maxCount, path } = this.config.backups;
    const nextRun = await this.queue.nextRun(JobName.Backup).catch(() => undefined);
    return {
      enabled: schedule !== undefined,
      interval: schedule ?? null,
      schedule: schedule ?? null,
      retention_days: retentionDays,
      max_count: maxCount,
      backup_count: backups.length,
      corrupt_count: backups.filter((backup) => backup.state === 'corrupt').length,
      incomplete_count: incomplete.length,
      total_size_bytes: bytes,
      last_backup_time: backups.find((backup) => backup.state === 'ok')?.created_at ?? null,
      next_backup_at: nextRun?.toISOString() ?? null,
      scheduler_running: nextRun !== undefined,
      mode: this.queue.kind,
      backups_path: path,
    };
  }

  @Post('admin/restore')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Queue a restore: verify the backup, keep the current state as a backup, swap the data in while serving',
  })
  @ApiErrors(400, 401, 404, 409, 415, 422, 429, 503)
  async restore(@ZodBody(RestoreBody) body: RestoreInput) {
    const backup = await this.backups.findRestorable(body.backup_id);
    return accepted(await this.queue.enqueue(JobName.Restore, { backupId: backup.id }));
  }

  /** Backups and leftovers as listed, and the bytes they take together on disk. */
  private async listed() {
    const [stored, leftovers] = await Promise.all([this.backups.listBackups(), this.backups.listLeftovers()]);
    const backups = stored.map((backup) => toBackupView(backup));
    const incomplete = leftovers.map((leftover) => toLeftoverView(leftover));
    const bytes = [...backups, ...incomplete].reduce((sum, entry) => sum + entry.size_bytes, 0);
    return { backups, incomplete, bytes };
  }
}

export function accepted(job: JobView) {
  return { success: true, job_id: job.id, status_url: `/api/jobs/${job.id}`, job };
}
