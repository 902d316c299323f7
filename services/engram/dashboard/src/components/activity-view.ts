import { html, LitElement } from 'lit';
import { EngramEvent } from '../../../src/events/engram-event';
import { ActivityLine } from '../activity-feed';
import { LiveState } from '../live-events';
import { jobTitle, resultOf } from './jobs-view';

/**
 * The live feed, newest first: what the server still kept for replay when the page opened (so a reload
 * keeps the history), then every event the stream delivers. A job is one line, updated as it runs, so
 * its progress reports never push the memory changes out of the feed.
 */
export class ActivityView extends LitElement {
  static override properties = { lines: { attribute: false }, live: {} };
  declare lines: ActivityLine[];
  declare live: LiveState;

  override createRenderRoot() {
    return this;
  }

  override render() {
    return html`<section class="view" aria-labelledby="activity-title">
      <h1 id="activity-title">Activity</h1>
      <p class="meta">
        Changes from every client (REST, MCP, jobs) as they happen; each job is one line. Stream: ${this.live}.
      </p>
      ${
        this.lines.length === 0
          ? html`<p class="empty card">Nothing yet — changes appear here as they happen.</p>`
          : html`<ol class="activity" aria-label="Recent changes, newest first">
              ${this.lines.map((line) => (line.event.type.startsWith('job_') ? renderJob(line) : renderChange(line.event)))}
            </ol>`
      }
    </section>`;
  }
}

function renderChange(event: EngramEvent) {
  const payload = event.payload;
  const detail = payload.preview ?? payload.path ?? payload.backup_id ?? payload.name ?? '';
  const tags = Array.isArray(payload.tags) ? payload.tags.join(', ') : '';
  return html`<li class="event event-${event.type}">
    ${timeOf(event)}
    <span class="badge">${event.type.replace(/_/g, ' ')}${payload.restored ? ' (restored)' : ''}</span>
    <span class="detail">${String(detail)}</span>
    ${tags ? html`<span class="tags">${tags}</span>` : ''}
  </li>`;
}

/** A job's one line: queued, running (its latest progress), or how it ended. */
function renderJob(line: ActivityLine) {
  const [state, detail] = jobStateOf(line);
  return html`<li class="event event-job job-${state}" data-job=${String(line.event.payload.job_id)}>
    ${timeOf(line.event)}
    <span class="badge">job ${state}</span>
    <span class="detail">${detail}</span>
  </li>`;
}

function jobStateOf({ event, progress }: ActivityLine): [state: string, detail: string] {
  const { name, result, cancelled, error } = event.payload;
  const title = jobTitle({ name: String(name) });
  if (event.type === 'job_completed') {
    const outcome = resultOf(
      String(name),
      result && typeof result === 'object' ? (result as Record<string, unknown>) : {},
    );
    return ['completed', outcome ? `${title} · ${outcome}` : title];
  }
  if (event.type === 'job_failed') return [cancelled ? 'cancelled' : 'failed', `${title}: ${String(error)}`];
  if (progress) return ['running', `${title} · ${String(progress.payload.progress)}%${stageOf(progress)}`];
  return ['queued', title];
}

function stageOf(progress: EngramEvent): string {
  return typeof progress.payload.stage === 'string' ? ` — ${progress.payload.stage}` : '';
}

function timeOf(event: EngramEvent) {
  return html`<time datetime=${event.timestamp}>${new Date(event.timestamp).toLocaleTimeString()}</time>`;
}
