import { html, nothing, TemplateResult } from 'lit';
import { BackupView, canWrite, CorruptBackupView, IncompleteBackupView, JobView, SoundBackupView } from '../api';
import { counted, errorText, formatBytes, formatTime, nounFor } from '../format';
import { BackupDeletion, backupDeletion, leftoverDeletion } from './backup-deletion';
import { ReloadingView } from './reloading-view';

const HISTORY_SIZE = 50;
/** While a job runs, the list is also re-read this often, in case the live stream is down. */
const RUNNING_POLL_MS = 2000;
const RUNNING = new Set(['waiting', 'active', 'delayed']);

/**
 * Backups (list, back up now, restore or delete after a confirmation), reindexing, and the job history with
 * outcomes — for administrators (an admin key not bound to a namespace). Job events from the live
 * stream reload the lists, so progress moves as the jobs report it. Imports, which any key with the
 * write scope may start, are below, in their own component.
 */
export class JobsView extends ReloadingView {
  static override properties = {
    ...ReloadingView.properties,
    backups: { state: true },
    incomplete: { state: true },
    jobs: { state: true },
    restoring: { state: true },
    reindexing: { state: true },
    deleting: { state: true },
    deleteError: { state: true },
    deleteBusy: { state: true },
    notice: { state: true },
  };
  declare backups: BackupView[] | undefined;
  /** What crashes left of backups and restores, shown below the backups. */
  declare incomplete: IncompleteBackupView[];
  declare jobs: JobView[] | undefined;
  /** The backup waiting for confirmation. */
  declare restoring: SoundBackupView | undefined;
  declare reindexing: boolean;
  /** The backup or leftover waiting for confirmation of its deletion. */
  declare deleting: BackupDeletion | undefined;
  /** Why the deletion asked for was refused, read in its dialog. */
  declare deleteError: string;
  declare deleteBusy: boolean;
  declare notice: string;
  private poll: number | undefined;

  constructor() {
    super();
    this.reindexing = false;
    this.notice = '';
    this.incomplete = [];
    this.deleteError = '';
    this.deleteBusy = false;
  }

  override disconnectedCallback(): void {
    window.clearTimeout(this.poll);
    super.disconnectedCallback();
  }

  protected async load(): Promise<void> {
    if (!this.caller.admin) return;
    const [backups, jobs] = await Promise.all([this.api.backups(), this.api.jobs(HISTORY_SIZE)]);
    this.backups = backups.backups;
    this.incomplete = backups.incomplete;
    this.jobs = jobs.jobs;
    window.clearTimeout(this.poll);
    if (this.jobs.some((job) => RUNNING.has(job.state))) {
      this.poll = window.setTimeout(() => void this.reload(), RUNNING_POLL_MS);
    }
  }

  protected override clearResults(): void {
    this.backups = undefined;
    this.jobs = undefined;
  }

  private async start(action: () => Promise<{ job: JobView }>, what: string): Promise<void> {
    try {
      const { job } = await action();
      this.notice = `${what} queued (job ${job.id}).`;
      await this.reload();
    } catch (error) {
      this.notice = `${what} refused: ${errorText(error)}`;
    }
  }

  private confirmRestore(): void {
    const backup = this.restoring!;
    this.restoring = undefined;
    void this.start(() => this.api.restoreBackup(backup.backup_id), `Restore of ${backup.backup_id}`);
  }

  private askToDelete(deletion: BackupDeletion): void {
    this.deleteError = '';
    this.deleting = deletion;
  }

  /** The dialog stays open until the backup is gone, and says there why not (404, 409); the table is read again either way. */
  private async confirmDelete(): Promise<void> {
    const { name } = this.deleting!;
    this.deleteBusy = true;
    try {
      const deleted = await this.api.deleteBackup(name);
      this.deleting = undefined;
      this.notice = `Deleted ${deleted.deleted} (${formatBytes(deleted.size_bytes)}).`;
    } catch (error) {
      this.deleteError = `Not deleted: ${errorText(error)}`;
    } finally {
      this.deleteBusy = false;
    }
    await this.reload();
  }

  private confirmReindex(): void {
    this.reindexing = false;
    void this.start(() => this.api.reindex(), 'Reindex');
  }

  override render() {
    return html`<section class="view" aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs & backups</h1>
      ${this.caller.admin ? this.renderAdmin() : this.renderNotAdmin()}
      ${canWrite(this.caller) ? html`<import-view .api=${this.api} .changes=${this.changes}></import-view>` : nothing}
      ${this.restoring ? this.renderRestoreDialog(this.restoring) : nothing}
      ${this.deleting ? this.renderDeleteDialog(this.deleting) : nothing}
      ${
        this.reindexing
          ? html`<confirm-dialog
              .heading=${'Reindex every memory?'}
              .text=${'Every memory is embedded again with the configured model.'}
              .detail=${'Search keeps using the current vectors until the new ones are complete; this can take a while.'}
              .confirmLabel=${'Reindex'}
              .danger=${false}
              @confirm=${() => this.confirmReindex()}
              @cancel=${() => (this.reindexing = false)}
            ></confirm-dialog>`
          : nothing
      }
    </section>`;
  }

  private renderNotAdmin() {
    return html`<p class="card empty" data-admin-only>
      Backups, restore, reindexing and the job history need an admin key not bound to a namespace; this key is
      ${this.caller.bound_namespace ? `bound to namespace “${this.caller.bound_namespace}”` : 'not an admin key'}.
      ${canWrite(this.caller) ? 'Imports into your namespace are below.' : ''}
    </p>`;
  }

  private renderAdmin() {
    const running = (this.jobs ?? []).filter((job) => RUNNING.has(job.state));
    return html`${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <div class="toolbar">
        <button class="primary" @click=${() => this.start(() => this.api.backUpNow(), 'Backup')}>Back up now</button>
        <button @click=${() => (this.reindexing = true)}>Reindex…</button>
      </div>
      <div role="status" aria-live="polite" class="job-status">
        ${this.notice ? html`<p class="notice">${this.notice}</p>` : nothing}
        ${running.map(
          (job) =>
            html`<div class="running" data-job=${job.id}>
              <span>${jobTitle(job)}: ${job.stage ?? job.state}</span>
              <progress max="100" value=${job.progress} aria-label="${jobTitle(job)} progress"></progress>
              <span>${job.progress}%</span>
            </div>`,
        )}
      </div>
      <div class="card">
        <h2>Backups</h2>
        ${this.renderBackups()}
      </div>
      <div class="card">
        <h2>Job history</h2>
        ${this.renderJobs()}
      </div>`;
  }

  private renderBackups() {
    if (this.backups === undefined) return this.error ? nothing : html`<p aria-busy="true">Loading…</p>`;
    if (this.backups.length + this.incomplete.length === 0) return html`<p class="empty">No backups yet.</p>`;
    const restorable = this.backups.filter((backup) => backup.state === 'ok').length;
    const deleteButton = (label: string, deletion: BackupDeletion) =>
      html`<button class="danger" @click=${() => this.askToDelete(deletion)} aria-label="Delete ${label}">
        Delete…
      </button>`;
    return html`<div class="table-wrap">
      <table class="backups">
        <caption class="visually-hidden">
          Backups, newest first
        </caption>
        <thead>
          <tr>
            <th scope="col">Taken</th>
            <th scope="col">Size</th>
            <th scope="col">Memories</th>
            <th scope="col">Verified</th>
            <th scope="col">Why</th>
            <th scope="col"><span class="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          ${this.backups.map((backup) =>
            backup.state === 'corrupt'
              ? renderCorruptBackup(backup, deleteButton(backup.backup_id, backupDeletion(backup, restorable)))
              : html`<tr data-backup=${backup.backup_id}>
                  <td><time datetime=${backup.created_at}>${formatTime(backup.created_at)}</time></td>
                  <td>${formatBytes(backup.size_bytes)}</td>
                  <td>${backup.memories.toLocaleString()}</td>
                  <td>
                    ${
                      backup.verified
                        ? html`<span
                            class="ok"
                            title="Integrity check passed and checksums recorded when written; checked again before a restore"
                            >✓ verified</span
                          >`
                        : html`<span class="error">not verified</span>`
                    }
                  </td>
                  <td>${backup.reason}${backup.includes_memory_dir ? ' · with memory files' : ''}</td>
                  <td class="actions">
                    <button @click=${() => (this.restoring = backup)} aria-label="Restore ${backup.backup_id}">
                      Restore…
                    </button>
                    ${deleteButton(backup.backup_id, backupDeletion(backup, restorable))}
                  </td>
                </tr>`,
          )}
          ${this.incomplete.map((leftover) =>
            renderIncompleteBackup(leftover, deleteButton(leftover.name, leftoverDeletion(leftover))),
          )}
        </tbody>
      </table>
    </div>`;
  }

  private renderJobs() {
    if (this.jobs === undefined) return this.error ? nothing : html`<p aria-busy="true">Loading…</p>`;
    if (this.jobs.length === 0) return html`<p class="empty">No jobs yet.</p>`;
    return html`<div class="table-wrap">
      <table class="jobs">
        <caption class="visually-hidden">
          Recent jobs, newest first
        </caption>
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">State</th>
            <th scope="col">Started</th>
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          ${this.jobs.map(
            (job) =>
              html`<tr data-job=${job.id}>
                <td>${jobTitle(job)}</td>
                <td><span class="badge state-${job.state}">${job.state}</span></td>
                <td>${formatTime(job.started_at ?? job.created_at)}</td>
                <td class="outcome">${outcomeOf(job)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
  }

  private renderRestoreDialog(backup: SoundBackupView) {
    return html`<confirm-dialog
      .heading=${'Restore this backup?'}
      .text=${`${backup.backup_id}: ${backup.memories.toLocaleString()} ${nounFor(backup.memories, 'memory', 'memories')}, taken ${formatTime(backup.created_at)}`}
      .detail=${'Every namespace returns to this state. The current state is kept as a backup first, so this can be undone. API keys are not touched.'}
      .confirmLabel=${'Restore'}
      @confirm=${() => this.confirmRestore()}
      @cancel=${() => (this.restoring = undefined)}
    ></confirm-dialog>`;
  }

  private renderDeleteDialog(deletion: BackupDeletion) {
    return html`<confirm-dialog
      .heading=${deletion.heading}
      .text=${deletion.text}
      .detail=${deletion.detail}
      .confirmLabel=${'Delete for good'}
      .error=${this.deleteError}
      .busy=${this.deleteBusy}
      @confirm=${() => this.confirmDelete()}
      @cancel=${() => (this.deleting = undefined)}
    ></confirm-dialog>`;
  }
}

/** A backup whose manifest cannot be read: no restore, and retention prunes it like the others. */
function renderCorruptBackup(backup: CorruptBackupView, deleteButton: TemplateResult) {
  return html`<tr data-backup=${backup.backup_id} data-state="corrupt">
    <td><time datetime=${backup.created_at}>${formatTime(backup.created_at)}</time></td>
    <td>${formatBytes(backup.size_bytes)}</td>
    <td>—</td>
    <td><span class="error">corrupt</span></td>
    <td class="outcome">${backup.problem}; it cannot be restored and is pruned as the others are</td>
    <td class="actions">${deleteButton}</td>
  </tr>`;
}

/** Deleted here or by hand (`engram backup delete <name>`), or, when safe, at an api or worker start or the next backup. */
function renderIncompleteBackup(leftover: IncompleteBackupView, deleteButton: TemplateResult) {
  return html`<tr data-incomplete=${leftover.name} data-state="incomplete">
    <td><time datetime=${leftover.modified_at} title="Last touched">${formatTime(leftover.modified_at)}</time></td>
    <td>${formatBytes(leftover.size_bytes)}</td>
    <td>—</td>
    <td><span class="error">incomplete</span></td>
    <td class="outcome"><code>${leftover.name}</code>: ${leftover.problem}</td>
    <td class="actions">${deleteButton}</td>
  </tr>`;
}

const JOB_TITLES: Record<string, string> = {
  backup: 'Backup',
  restore: 'Restore',
  reindex: 'Reindex',
  import: 'Import',
  'conflict-scan': 'Conflict scan',
  consolidate: 'Consolidation',
};

export function jobTitle(job: { name: string }): string {
  return JOB_TITLES[job.name] ?? job.name;
}

/** One line saying how a job ended, from its result or its error. */
export function outcomeOf(job: JobView): string {
  if (job.state === 'failed' || job.state === 'cancelled') return job.error ?? job.state;
  if (RUNNING.has(job.state)) return `${job.progress}%${job.stage ? ` — ${job.stage}` : ''}`;
  return resultOf(job.name, job.result ?? {});
}

/** What a completed job did, from its result; empty for a job this page has no words for. */
export function resultOf(name: string, result: Record<string, unknown>): string {
  switch (name) {
    case 'backup':
      return `${result.backup_id}: ${formatBytes(Number(result.size_bytes ?? 0))}, ${counted(Number(result.memories), 'memory', 'memories')}`;
    case 'restore':
      return `Restored ${result.backup_id} (${counted(Number(result.live_memories), 'memory', 'memories')}); the state before is ${result.pre_restore_backup_id}`;
    case 'reindex':
      return `${counted(Number(result.embedded), 'memory', 'memories')} embedded with ${result.model}`;
    case 'import':
      return `${result.stored} stored, ${counted(Number(result.duplicates), 'duplicate', 'duplicates')}, ${result.failed} failed`;
    case 'conflict-scan':
      return `${counted(Number(result.scanned), 'memory', 'memories')} reviewed, ${counted(Number(result.proposed), 'new proposal', 'new proposals')}, ${result.open} open`;
    default:
      return '';
  }
}
