import { html, nothing } from 'lit';
import { canWrite, DeletedMemoryView, MemoryView } from '../api';
import { errorText, formatTime } from '../format';
import { ReloadingView } from './reloading-view';

/** What importers record in `metadata.import` (see imports/memory-items.ts). */
interface ImportProvenance {
  source?: string;
  title?: string;
  file?: string;
  original_id?: string;
  original_created_at?: string;
  original_updated_at?: string;
  chunk?: number;
  chunks?: number;
}

/**
 * One memory by its hash — where links from lists, search results and MCP `search`/`fetch` results
 * (`#/memory/<hash>`) land: the content, its times, metadata and import provenance. A memory in the
 * trash is shown as such, with a way back.
 */
export class MemoryDetail extends ReloadingView {
  static override properties = {
    ...ReloadingView.properties,
    hash: { type: String },
    memory: { state: true },
    deleted: { state: true },
    notice: { state: true },
  };
  declare hash: string;
  declare memory: MemoryView | undefined;
  declare deleted: DeletedMemoryView | undefined;
  declare notice: string;

  constructor() {
    super();
    this.notice = '';
  }

  protected async load(): Promise<void> {
    this.memory = undefined;
    this.deleted = undefined;
    try {
      this.memory = await this.api.get(this.hash);
    } catch (error) {
      this.deleted = await this.api.deleted(this.hash);
      if (!this.deleted) throw error;
    }
  }

  protected override updated(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('hash') && !changed.has('changes')) void this.reload();
    super.updated(changed as never);
  }

  private async restore(): Promise<void> {
    try {
      await this.api.restore(this.hash);
      this.notice = 'Restored.';
      await this.reload();
    } catch (error) {
      this.notice = errorText(error);
    }
  }

  override render() {
    return html`<section class="view" aria-labelledby="memory-title">
      <h1 id="memory-title">Memory</h1>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${this.notice ? html`<p role="status">${this.notice}</p>` : nothing}
      ${
        this.memory
          ? this.renderMemory(this.memory)
          : this.deleted
            ? this.renderDeleted(this.deleted)
            : this.error
              ? nothing
              : html`<p aria-busy="true">Loading…</p>`
      }
    </section>`;
  }

  private renderMemory(memory: MemoryView) {
    return html`<memory-card .memory=${memory} .canWrite=${canWrite(this.caller)}></memory-card> ${details(memory)}`;
  }

  private renderDeleted(memory: DeletedMemoryView) {
    return html`<div class="card trashed">
        <p><strong>In the trash</strong> since ${formatTime(memory.deleted_at_iso)}.</p>
        <p class="content">${memory.content}</p>
        ${
          canWrite(this.caller)
            ? html`<button class="primary" @click=${() => this.restore()}>Restore</button>`
            : nothing
        }
      </div>
      ${details(memory)}`;
  }
}

function details(memory: MemoryView) {
  const { import: provenance, ...metadata } = memory.metadata as { import?: ImportProvenance };
  return html`<dl class="card detail-list">
    <dt>Type</dt>
    <dd><span class="type">${memory.memory_type}</span></dd>
    <dt>Tags</dt>
    <dd>${memory.tags.length === 0 ? '—' : memory.tags.map((tag) => html`<span class="tag">${tag}</span> `)}</dd>
    <dt>Created</dt>
    <dd><time datetime=${memory.created_at_iso}>${formatTime(memory.created_at_iso)}</time></dd>
    <dt>Updated</dt>
    <dd><time datetime=${memory.updated_at_iso}>${formatTime(memory.updated_at_iso)}</time></dd>
    <dt>content_hash</dt>
    <dd><code>${memory.content_hash}</code></dd>
    <dt>Imported from</dt>
    <dd>${provenance ? renderProvenance(provenance) : 'Not imported (stored directly)'}</dd>
    <dt>Metadata</dt>
    <dd>
      ${
        Object.keys(metadata).length === 0
          ? '—'
          : html`<pre class="metadata">${JSON.stringify(metadata, null, 2)}</pre>`
      }
    </dd>
  </dl>`;
}

function renderProvenance(provenance: ImportProvenance) {
  const part = provenance.chunks ? ` (part ${provenance.chunk} of ${provenance.chunks})` : '';
  return html`<span data-provenance
      >${provenance.source ?? 'an import'}:
      ${provenance.file ?? ''}${provenance.title ? ` — “${provenance.title}”` : ''}${part}</span
    >
    ${
      provenance.original_created_at
        ? html`<span class="meta">· originally written ${formatTime(provenance.original_created_at)}</span>`
        : nothing
    }`;
}
