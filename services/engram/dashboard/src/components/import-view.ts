import { html, nothing } from 'lit';
import { ImportResult, ImportSource, JobView } from '../api';
import { counted, errorText, formatTime } from '../format';
import { outcomeOf } from './jobs-view';
import { ReloadingView } from './reloading-view';

const FINISHED = new Set(['completed', 'failed', 'cancelled']);
const HISTORY_SIZE = 20;
/** The running import is also re-read this often, in case the live stream is down. */
const FOLLOW_MS = 1000;

/**
 * Upload an export or documents and watch the import job: source (or detection), target (memories or
 * the agent's memory directory), dry run; then progress and the summary with failures and reasons;
 * below, this namespace's import history. Job events from the live stream reload it.
 */
export class ImportView extends ReloadingView {
  static override properties = {
    ...ReloadingView.properties,
    sources: { state: true },
    job: { state: true },
    history: { state: true },
    formError: { state: true },
    busy: { state: true },
  };
  declare sources: ImportSource[];
  declare job: JobView | undefined;
  declare history: JobView[] | undefined;
  declare formError: string;
  declare busy: boolean;
  private following: number | undefined;

  constructor() {
    super();
    this.sources = [];
    this.formError = '';
    this.busy = false;
  }

  override disconnectedCallback(): void {
    window.clearTimeout(this.following);
    super.disconnectedCallback();
  }

  protected async load(): Promise<void> {
    const [sources, history] = await Promise.all([
      this.sources.length > 0 ? { sources: this.sources } : this.api.importSources(),
      this.api.importHistory(HISTORY_SIZE),
    ]);
    this.sources = sources.sources;
    this.history = history.jobs;
    if (this.job && !FINISHED.has(this.job.state)) await this.follow(this.job.id);
  }

  protected override clearResults(): void {
    this.history = undefined;
  }

  private async submit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const fields = new FormData(event.target as HTMLFormElement);
    const file = fields.get('file');
    if (!(file instanceof File) || file.size === 0) {
      this.formError = 'Choose a file to import (a ZIP, a JSON export, a PDF, …).';
      return;
    }
    // Fields first, then the file: the server streams the file and reads only the fields before it.
    const body = new FormData();
    body.append('source', String(fields.get('source') ?? 'auto'));
    body.append('target', String(fields.get('target') ?? 'memories'));
    body.append('dry_run', fields.get('dry_run') ? 'true' : 'false');
    body.append('file', file, file.name);
    this.busy = true;
    this.formError = '';
    this.job = undefined;
    try {
      const queued = await this.api.startImport(body);
      this.job = queued.job;
      await this.follow(queued.job_id);
    } catch (error) {
      this.formError = errorText(error);
      this.busy = false;
    }
  }

  private async follow(id: string): Promise<void> {
    window.clearTimeout(this.following);
    this.job = await this.api.importJob(id);
    if (FINISHED.has(this.job.state)) {
      this.busy = false;
      return;
    }
    this.following = window.setTimeout(() => void this.follow(id).catch(() => (this.busy = false)), FOLLOW_MS);
  }

  override render() {
    return html`<section class="card import" aria-labelledby="import-title">
      <h2 id="import-title">Import</h2>
      <p class="meta">
        ChatGPT or Claude exports, Notion exports, markdown or Obsidian folders (as a ZIP), documents (PDF, text, HTML,
        JSON, CSV), an MCP Memory Service database or export, or a memory.jsonl graph. Importing the same file again
        adds nothing twice.
      </p>
      <form class="import-form" @submit=${this.submit}>
        <label class="wide">File <input type="file" name="file" required /></label>
        <label
          >Source
          <select name="source">
            <option value="auto">Detect it</option>
            ${this.sources.map((option) => html`<option value=${option.source}>${option.label}</option>`)}
          </select></label
        >
        <label
          >Into
          <select name="target">
            <option value="memories">Memories (searchable)</option>
            <option value="memory-dir">The agent's memory files</option>
          </select></label
        >
        <label class="checkbox"><input type="checkbox" name="dry_run" /> Dry run (write nothing)</label>
        <div class="form-actions">
          <button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? 'Importing…' : 'Import'}</button>
        </div>
      </form>
      ${this.formError ? html`<p role="alert" class="error">${this.formError}</p>` : nothing}
      ${this.job ? renderJob(this.job, this.sourceOf(this.job)) : nothing}
      <h3>Import history</h3>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing} ${this.renderHistory()}
    </section>`;
  }

  /**
   * What the import was read as: the detected source once known (never the "auto" it was asked for), the
   * one named, or "Unknown source" for an import that ended before any was recognised.
   */
  private sourceOf(job: JobView): string {
    const result = job.result as ImportResult | undefined;
    const details = job.details ?? {};
    if (result) return result.source_label;
    if (typeof details.source_label === 'string') return details.source_label;
    const source = String(details.source ?? job.data.source);
    if (source === 'unknown') return 'Unknown source';
    if (source !== 'auto') return this.sources.find((option) => option.source === source)?.label ?? source;
    return FINISHED.has(job.state) ? 'Unknown source' : 'Detecting the source…';
  }

  private renderHistory() {
    if (this.history === undefined) return this.error ? nothing : html`<p aria-busy="true">Loading…</p>`;
    if (this.history.length === 0) return html`<p class="empty">No imports yet.</p>`;
    return html`<ul class="import-history">
      ${this.history.map((job) => {
        const result = job.result as ImportResult | undefined;
        return html`<li data-job=${job.id}>
          <span class="badge state-${job.state}">${job.state}</span>
          <strong class="source">${this.sourceOf(job)}</strong>
          <span class="meta">${formatTime(job.finished_at ?? job.created_at)}</span>
          <span>${outcomeOf(job)}${result?.dry_run ? ' (dry run)' : ''}</span>
        </li>`;
      })}
    </ul>`;
  }
}

function renderJob(job: JobView, source: string) {
  const result = job.result as ImportResult | undefined;
  return html`<div class="import-job" aria-live="polite">
    <progress max="100" value=${job.progress} aria-label="Import progress"></progress>
    <p class="meta">Job ${job.id} (${source}): ${job.state}${job.stage ? ` — ${job.stage}` : ''}</p>
    ${job.error ? html`<p role="alert" class="error">${job.error}</p>` : nothing}
    ${
      result
        ? html`<dl class="import-summary">
              <dt>Source</dt>
              <dd>${result.source_label}${result.dry_run ? ' (dry run)' : ''}</dd>
              <dt>Read</dt>
              <dd>
                ${counted(result.documents, 'document', 'documents')},
                ${counted(result.items_read, 'memory', 'memories')}
              </dd>
              <dt>Stored</dt>
              <dd>${result.stored}</dd>
              <dt>Duplicates skipped</dt>
              <dd>${result.duplicates}</dd>
              <dt>Failed</dt>
              <dd>${result.failed}</dd>
              <dt>Took</dt>
              <dd>${result.duration_seconds} s</dd>
            </dl>
            ${
              result.failures.length > 0
                ? html`<ul class="import-failures" aria-label="Failures">
                    ${result.failures.map((failure) => html`<li><strong>${failure.item}</strong>: ${failure.reason}</li>`)}
                  </ul>`
                : nothing
            }`
        : nothing
    }
  </div>`;
}
