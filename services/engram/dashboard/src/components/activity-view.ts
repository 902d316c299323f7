import { html, LitElement } from 'lit';
import { EngramEvent } from '../../../src/events/engram-event';
import { LiveState } from '../live-events';

/**
 * The live feed, newest first: what the server still kept for replay when the page opened (so a reload
 * keeps the history), then every event the stream delivers.
 */
export class ActivityView extends LitElement {
  static override properties = { events: { attribute: false }, live: {} };
  declare events: EngramEvent[];
  declare live: LiveState;

  override createRenderRoot() {
    return this;
  }

  override render() {
    return html`<section class="view" aria-labelledby="activity-title">
      <h1 id="activity-title">Activity</h1>
      <p class="meta">Changes from every client (REST, MCP, jobs) as they happen. Stream: ${this.live}.</p>
      ${
        this.events.length === 0
          ? html`<p class="empty card">Nothing yet — changes appear here as they happen.</p>`
          : html`<ol class="activity" aria-label="Recent changes, newest first">
              ${this.events.map((event) => {
                const payload = event.payload as Record<string, unknown>;
                const detail =
                  payload.preview ?? payload.path ?? payload.backup_id ?? payload.name ?? payload.job_id ?? '';
                const tags = Array.isArray(payload.tags) ? payload.tags.join(', ') : '';
                return html`<li class="event event-${event.type}">
                  <time datetime=${event.timestamp}>${new Date(event.timestamp).toLocaleTimeString()}</time>
                  <span class="badge">${event.type.replace(/_/g, ' ')}${payload.restored ? ' (restored)' : ''}</span>
                  <span class="detail">${String(detail)}</span>
                  ${tags ? html`<span class="tags">${tags}</span>` : ''}
                </li>`;
              })}
            </ol>`
      }
    </section>`;
  }
}
