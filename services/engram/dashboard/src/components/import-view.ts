import { html, LitElement, nothing } from 'lit';
import { errorText } from '../format';
import { session } from '../session';

interface SourceOption {
  source: string;
  label: string;
  memory_dir: boolean;
}

interface ImportJob {
  id: string;
  state: string;
  progress: number;
  stage?: string;
  error?: string;
  result?: {
    source_label: string;
    dry_run: boolean;
    documents: number;
    items_read: number;
    stored: number;
    duplicates: number;
    failed: number;
    failures: { item: string; reason: string }[];
    files_written?: string[];
    duration_seconds: number;
  };
}

const FINISHED = new Set(['completed', 'failed', 'cancelled']);

/**
 * Upload an export or documents and watch the import job: source (or detection), target (memories or
 * the agent's memory directory), dry run; then progress and the summary with failures and reasons.
 */
export class ImportView extends LitElement {
  static override properties = {
    sources: { state: true },
    job: { state: true },
    error: { state: true },
    busy: { state: true },
  };
  declare sources: SourceOption[];
  declare job: ImportJob | undefined;
  declare error: string;
  declare busy: boolean;
  private polling: number | undefined;

  constructor() {
    super();
    this.sources = [];
    this.error = '';
    this.busy = false;
  }

  override createRenderRoot() {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.call<{ sources: SourceOption[] }>('GET', '/api/import/sources').then(
      (answer) => (this.sources = answer.sources),
      () => undefined,
    );
  }

  override disconnectedCallback(): void {
    window.clearTimeout(this.polling);
    super.disconnectedCallback();
  }

  private async submit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const fields = new FormData(form);
    const file = fields.get('file');
    if (!(file instanceof File) || file.size === 0) {
      this.error = 'Choose a file to import (a ZIP, a JSON export, a PDF, …).';
      return;
    }
    // Fields first, then the file: the server streams the file and reads only the fields before it.
    const body = new FormData();
    body.append('source', String(fields.get('source') ?? 'auto'));
    body.append('target', String(fields.get('target') ?? 'memories'));
    body.append('dry_run', fields.get('dry_run') ? 'true' : 'false');
    body.append('file', file, file.name);
    this.busy = true;
    this.error = '';
    this.job = undefined;
    try {
      const queued = await this.call<{ job_id: string; job: ImportJob }>('POST', '/api/import', body);
      this.job = queued.job;
      this.follow(queued.job_id);
    } catch (error) {
      this.error = errorText(error);
      this.busy = false;
    }
  }

  private follow(id: string): void {
    this.polling = window.setTimeout(async () => {
      try {
        this.job = await this.call<ImportJob>('GET', `/api/import/${id}`);
        if (FINISHED.has(this.job.state)) this.busy = false;
        else this.follow(id);
      } catch (error) {
        this.error = errorText(error);
        this.busy = false;
      }
    }, 400);
  }

  private async call<T>(method: string, path: string, body?: FormData): Promise<T> {
    const key = session.load();
    const response = await fetch(path, { method, body, headers: key ? { 'X-API-Key': key } : {} });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.message ?? `${method} ${path} answered ${response.status}`);
    return answer as T;
  }

  override render() {
    return html`<section class="card import" aria-labelledby="import-title">
      <h2 id="import-title">Import</h2>
      <p class="meta">
        ChatGPT or Claude exports, Notion exports, markdown or Obsidian folders (as a ZIP), documents (PDF, text, HTML,
        JSON, CSV), an MCP Memory Service database or export, or a memory.jsonl graph. Importing the same file again
        adds nothing twice.
      </p>
      <form @submit=${this.submit}>
        <label>File <input type="file" name="file" required /></label>
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
        <label><input type="checkbox" name="dry_run" /> Dry run (write nothing)</label>
        <button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? 'Importing…' : 'Import'}</button>
      </form>
      ${this.error ? html`<p role="alert" class="error">${this.error}</p>` : nothing}
      ${this.job ? this.renderJob(this.job) : nothing}
    </section>`;
  }

  private renderJob(job: ImportJob) {
    const result = job.result;
    return html`<div class="import-job" aria-live="polite">
      <progress max="100" value=${job.progress} aria-label="Import progress"></progress>
      <p class="meta">Job ${job.id}: ${job.state}${job.stage ? ` — ${job.stage}` : ''}</p>
      ${job.error ? html`<p role="alert" class="error">${job.error}</p>` : nothing}
      ${
        result
          ? html`<dl class="import-summary">
                <dt>Source</dt>
                <dd>${result.source_label}${result.dry_run ? ' (dry run)' : ''}</dd>
                <dt>Read</dt>
                <dd>${result.documents} documents, ${result.items_read} memories</dd>
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
}
