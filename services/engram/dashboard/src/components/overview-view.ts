import { html, nothing, TemplateResult } from 'lit';
import { ApiError, OverviewFigures, StatusReport, TrafficPoint } from '../api';
import { barList, columnChart, lineChart } from '../charts';
import { formatBytes, formatTime } from '../format';
import { ReloadingView } from './reloading-view';

/** The server samples its traffic every 15 s; the charts follow at that pace while the page is open. */
/** Readiness covers the whole store (free disk, the queue): the server answers it to keys not bound to a namespace. */
const READINESS_FOR_UNBOUND_KEYS = 'Shown to keys not bound to a namespace';

const TRAFFIC_REFRESH_MS = 15_000;

/**
 * Counts (with the open conflicts, linked to their review), readiness and the embedding model
 * (/api/health/detailed, /health/ready), and charts from
 * /api/overview: memories over the last 30 days, by type and tag, and, for keys not bound to a
 * namespace, the server's request rate and search latency over the last hour.
 */
export class OverviewView extends ReloadingView {
  static override properties = {
    ...ReloadingView.properties,
    report: { state: true },
    ready: { state: true },
    figures: { state: true },
    openConflicts: { state: true },
  };
  declare report: StatusReport | undefined;
  /** What the Health figure says. */
  declare ready: string | undefined;
  declare figures: OverviewFigures | undefined;
  /** Proposed contradictions waiting for a decision; undefined when they could not be counted. */
  declare openConflicts: number | undefined;
  private refresh: number | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.refresh = window.setInterval(() => void this.reload(), TRAFFIC_REFRESH_MS);
  }

  override disconnectedCallback(): void {
    window.clearInterval(this.refresh);
    super.disconnectedCallback();
  }

  protected async load(): Promise<void> {
    const [report, ready, figures, conflicts] = await Promise.all([
      this.api.status(),
      this.readiness(),
      this.api.overview(),
      this.api.conflicts('open', 1, 1).catch(() => undefined),
    ]);
    this.report = report;
    this.ready = ready;
    this.figures = figures;
    this.openConflicts = conflicts?.total;
  }

  private async readiness(): Promise<string> {
    if (this.caller.bound_namespace !== null) return READINESS_FOR_UNBOUND_KEYS;
    try {
      return (await this.api.ready()).status === 'ok' ? 'Ready' : 'Not ready';
    } catch (error) {
      return error instanceof ApiError && error.status === 403 ? READINESS_FOR_UNBOUND_KEYS : 'Not ready';
    }
  }

  protected override clearResults(): void {
    this.report = undefined;
    this.figures = undefined;
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
                ${
                  this.openConflicts === undefined
                    ? nothing
                    : stat(
                        'Open conflicts',
                        html`<a href="#/conflicts">${this.openConflicts.toLocaleString()}</a>`,
                        'stat-conflicts',
                      )
                }
                ${stat('Health', this.ready ?? '—', 'stat-health')}
                ${stat('Embedding model', `${report.embedding.model} (${report.embedding.dimension} dims)`, 'stat-model', true)}
              </dl>
              ${this.figures ? this.renderCharts(this.figures) : nothing}
              <p class="meta">
                Oldest ${formatTime(report.statistics.oldest_memory)} · newest
                ${formatTime(report.statistics.newest_memory)} · free disk
                ${formatBytes(report.storage.free_disk_bytes)} · Engram ${report.versions.engram}
              </p>`
          : this.error
            ? nothing
            : html`<p aria-busy="true">Loading…</p>`
      }
    </section>`;
  }

  private renderCharts(figures: OverviewFigures) {
    const { memories, traffic } = figures;
    let running = memories.before;
    const totals = memories.per_day.map((day) => (running += day.created));
    const added = memories.per_day.reduce((sum, day) => sum + day.created, 0);
    const first = memories.per_day[0]?.day ?? '';
    return html`<div class="charts">
      <figure class="card chart-card">
        <figcaption><h2>Memories over 30 days</h2></figcaption>
        ${lineChart(`Memories from ${first} to today: ${memories.before} before, ${running} now`, [
          { values: totals, className: 'chart-line-a' },
        ])}
        <p class="meta">${running.toLocaleString()} now · ${added.toLocaleString()} added since ${first}</p>
      </figure>
      <figure class="card chart-card">
        <figcaption><h2>Added per day</h2></figcaption>
        ${columnChart(
          `Memories added per day: ${memories.per_day.map((day) => `${day.day} ${day.created}`).join(', ')}`,
          memories.per_day.map((day) => day.created),
        )}
        <p class="meta">Busiest day: ${busiest(memories.per_day)}</p>
      </figure>
      <figure class="card chart-card">
        <figcaption><h2>By type</h2></figcaption>
        ${
          memories.by_type.length === 0
            ? html`<p class="empty">No memories yet.</p>`
            : barList(
                `Memories by type: ${memories.by_type.map((type) => `${type.memory_type} ${type.count}`).join(', ')}`,
                memories.by_type.map((type) => ({ name: type.memory_type, count: type.count })),
              )
        }
      </figure>
      <figure class="card chart-card">
        <figcaption><h2>Top tags</h2></figcaption>
        ${
          memories.top_tags.length === 0
            ? html`<p class="empty">No tags yet.</p>`
            : barList(
                `Top tags: ${memories.top_tags.map((tag) => `${tag.tag} ${tag.count}`).join(', ')}`,
                memories.top_tags.map((tag) => ({ name: tag.tag, count: tag.count })),
              )
        }
      </figure>
      ${traffic ? renderTraffic(traffic.points) : nothing}
    </div>`;
  }
}

function renderTraffic(points: TrafficPoint[]) {
  const latest = points.at(-1);
  const rates = points.map((point) => point.requests_per_second);
  const searched = points.filter((point) => point.search_mean_ms !== null);
  const p95 = searched.at(-1)?.search_p95_ms;
  return html`<figure class="card chart-card" data-chart="requests">
      <figcaption><h2>Requests per second</h2></figcaption>
      ${lineChart(
        `Requests per second over the last ${points.length} samples; latest ${latest?.requests_per_second ?? 0}`,
        [{ values: rates, className: 'chart-line-a' }],
      )}
      <p class="meta">
        Latest ${(latest?.requests_per_second ?? 0).toFixed(2)}/s ·
        ${points.reduce((sum, point) => sum + point.server_errors, 0)} server errors · this server, last hour
      </p>
    </figure>
    <figure class="card chart-card" data-chart="search-latency">
      <figcaption><h2>Search latency</h2></figcaption>
      ${lineChart(`Search latency in milliseconds, mean and 95th percentile; latest p95 ${p95 ?? 'none'}`, [
        { values: points.map((point) => point.search_mean_ms), className: 'chart-line-a' },
        { values: points.map((point) => point.search_p95_ms), className: 'chart-line-b' },
      ])}
      <p class="meta">
        <span class="legend legend-a">mean</span> <span class="legend legend-b">p95</span> ·
        ${p95 === undefined || p95 === null ? 'no search yet' : `latest p95 ${p95} ms`} ·
        ${points.reduce((sum, point) => sum + point.searches, 0)} searches
      </p>
    </figure>`;
}

function busiest(days: { day: string; created: number }[]): string {
  const top = days.reduce((best, day) => (day.created > best.created ? day : best), { day: '—', created: 0 });
  return top.created === 0 ? 'none yet' : `${top.day} (${top.created})`;
}

function stat(label: string, value: string | TemplateResult, id?: string, wide = false) {
  return html`<div class=${wide ? 'stat wide' : 'stat'} data-stat=${id ?? nothing}>
    <dt>${label}</dt>
    <dd>${value}</dd>
  </div>`;
}
