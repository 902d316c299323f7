import { html, nothing } from 'lit';
import { StatusReport } from '../api';
import { formatBytes, formatTime } from '../format';
import { ReloadingView } from './reloading-view';

/** Counts, database size, readiness and the embedding model, from /api/health/detailed and /health/ready. */
export class OverviewView extends ReloadingView {
  static override properties = { ...ReloadingView.properties, report: { state: true }, ready: { state: true } };
  declare report: StatusReport | undefined;
  declare ready: string | undefined;

  protected async load(): Promise<void> {
    const [report, ready] = await Promise.all([this.api.status(), this.api.ready().catch(() => ({ status: 'error' }))]);
    this.report = report;
    this.ready = ready.status;
  }

  override render() {
    const report = this.report;
    return html`<section class="view" aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${
        report
          ? html`<dl class="stats">
                ${stat('Memories', report.statistics.total_memories.toLocaleString(), 'stat-memories')}
                ${stat('Tags', report.statistics.unique_tags.toLocaleString())}
                ${stat('Deleted', report.statistics.deleted_memories.toLocaleString())}
                ${stat('Database size', formatBytes(report.storage.database_size_bytes))}
                ${stat('Health', this.ready === 'ok' ? 'Ready' : 'Not ready', 'stat-health')}
                ${stat('Embedding model', `${report.embedding.model} (${report.embedding.dimension} dims)`, 'stat-model', true)}
              </dl>
              <div class="card">
                <h2>Memory types</h2>
                ${
                  report.statistics.memory_types.length === 0
                    ? html`<p class="empty">No memories yet.</p>`
                    : html`<ul class="types">
                        ${report.statistics.memory_types.map(
                          (type) => html`<li><span class="type">${type.memory_type}</span> ${type.count}</li>`,
                        )}
                      </ul>`
                }
                <p class="meta">
                  Oldest ${formatTime(report.statistics.oldest_memory)} · newest
                  ${formatTime(report.statistics.newest_memory)} · free disk
                  ${formatBytes(report.storage.free_disk_bytes)} · Engram ${report.versions.engram}
                </p>
              </div>`
          : html`<p aria-busy="true">Loading…</p>`
      }
    </section>`;
  }
}

function stat(label: string, value: string, id?: string, wide = false) {
  return html`<div class=${wide ? 'stat wide' : 'stat'} data-stat=${id ?? nothing}>
    <dt>${label}</dt>
    <dd>${value}</dd>
  </div>`;
}
