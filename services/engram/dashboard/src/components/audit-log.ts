import { html, nothing } from 'lit';
import { AUDIT_ACTIONS } from '../../../src/audit/audit-event';
import { AuditEntryView } from '../api';
import { errorText, formatTime } from '../format';
import { ReloadingView } from './reloading-view';

const PAGE_SIZE = 50;

/**
 * The audit log in the Access panel: who did what, from where, and how it went, newest first, with
 * filters (action, principal, namespace, since) and older pages on request.
 */
export class AuditLog extends ReloadingView {
  static override properties = {
    ...ReloadingView.properties,
    entries: { state: true },
    nextCursor: { state: true },
  };
  declare entries: AuditEntryView[] | undefined;
  declare nextCursor: number | null;
  private filters = new URLSearchParams();

  protected async load(): Promise<void> {
    const page = await this.api.audit(this.query());
    this.entries = page.events;
    this.nextCursor = page.next_cursor;
  }

  protected override clearResults(): void {
    this.entries = undefined;
    this.nextCursor = null;
  }

  private query(cursor?: number): URLSearchParams {
    const query = new URLSearchParams(this.filters);
    query.set('limit', String(PAGE_SIZE));
    if (cursor !== undefined) query.set('cursor', String(cursor));
    return query;
  }

  private async filter(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    this.filters = new URLSearchParams();
    for (const name of ['action', 'principal', 'namespace', 'since']) {
      const value = String(data.get(name) ?? '').trim();
      if (value !== '') this.filters.set(name, name === 'since' ? new Date(value).toISOString() : value);
    }
    await this.reload();
  }

  private async older(): Promise<void> {
    if (this.nextCursor === null) return;
    try {
      const page = await this.api.audit(this.query(this.nextCursor));
      this.entries = [...(this.entries ?? []), ...page.events];
      this.nextCursor = page.next_cursor;
    } catch (error) {
      this.error = errorText(error);
    }
  }

  override render() {
    return html`<div class="card audit-log">
      <h2>Audit log</h2>
      <form class="audit-filters" @submit=${(event: SubmitEvent) => this.filter(event)}>
        <label
          >Action
          <select name="action">
            <option value="">any</option>
            ${AUDIT_ACTIONS.map((action) => html`<option value=${action}>${action}</option>`)}
          </select></label
        >
        <label>Principal id <input name="principal" autocomplete="off" maxlength="128" /></label>
        <label
          >Namespace
          <input
            name="namespace"
            autocomplete="off"
            pattern="[a-z0-9][a-z0-9_\\-]{0,63}"
            title="Lower-case letters, digits, _ and -, starting with a letter or digit (at most 64)"
        /></label>
        <label>Since <input name="since" type="datetime-local" /></label>
        <button type="submit">Show</button>
      </form>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${
        this.entries === undefined
          ? this.error
            ? nothing
            : html`<p aria-busy="true">Loading…</p>`
          : this.entries.length === 0
            ? html`<p class="empty">No audit entries match.</p>`
            : html`<table class="audit-table">
                <thead>
                  <tr>
                    <th>Time</th>
                    <th>Action</th>
                    <th>Outcome</th>
                    <th>Principal</th>
                    <th>Namespace</th>
                    <th>From</th>
                    <th>Target</th>
                  </tr>
                </thead>
                <tbody>
                  ${this.entries.map(
                    (entry) =>
                      html`<tr data-audit=${entry.id} title=${JSON.stringify(entry.details)}>
                        <td>${formatTime(entry.at)}</td>
                        <td>${entry.action}</td>
                        <td class="outcome-${entry.outcome}">${entry.outcome}</td>
                        <td>
                          ${entry.principal.name ?? entry.principal.id}
                          <span class="meta">${entry.principal.kind}</span>
                        </td>
                        <td>${entry.namespace ?? 'whole store'}</td>
                        <td>${entry.client_address}</td>
                        <td><code>${entry.target ?? ''}</code></td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
      }
      ${this.nextCursor !== null && this.entries?.length ? html`<button @click=${() => this.older()}>Older entries</button>` : nothing}
    </div>`;
  }
}
