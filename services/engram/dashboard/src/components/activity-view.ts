import { html, LitElement } from 'lit';
import { LiveState } from '../live-events';
import { ActivityEntry } from './app-shell';

/** The live feed: every event the stream delivered since the page opened, newest first. */
export class ActivityView extends LitElement {
  static override properties = { entries: { attribute: false }, live: {} };
  declare entries: ActivityEntry[];
  declare live: LiveState;

  override createRenderRoot() {
    return this;
  }

  override render() {
    return html`<section class="view" aria-labelledby="activity-title">
      <h1 id="activity-title">Activity</h1>
      <p class="meta">Changes from every client (REST, MCP, jobs) as they happen. Stream: ${this.live}.</p>
      ${
        this.entries.length === 0
          ? html`<p class="empty card">Nothing yet — changes appear here as they happen.</p>`
          : html`<ol class="activity" aria-label="Recent changes, newest first">
              ${this.entries.map(({ event, receivedAt }) => {
                const payload = event.payload as Record<string, unknown>;
                const detail = payload.preview ?? payload.name ?? payload.job_id ?? '';
                const tags = Array.isArray(payload.tags) ? payload.tags.join(', ') : '';
                return html`<li class="event event-${event.type}">
                  <time datetime=${event.timestamp}>${receivedAt.toLocaleTimeString()}</time>
                  <span class="badge">${event.type.replace(/_/g, ' ')}</span>
                  <span class="detail">${String(detail)}</span>
                  ${tags ? html`<span class="tags">${tags}</span>` : ''}
                </li>`;
              })}
            </ol>`
      }
    </section>`;
  }
}
