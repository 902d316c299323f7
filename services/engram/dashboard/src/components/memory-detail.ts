import { html, nothing } from 'lit';
import { MemoryView } from '../api';
import { ReloadingView } from './reloading-view';

/** One memory by its hash: where links from MCP `search`/`fetch` results (`#/memory/<hash>`) land. */
export class MemoryDetail extends ReloadingView {
  static override properties = { ...ReloadingView.properties, hash: { type: String }, memory: { state: true } };
  declare hash: string;
  declare memory: MemoryView | undefined;

  protected async load(): Promise<void> {
    this.memory = undefined;
    this.memory = await this.api.get(this.hash);
  }

  protected override updated(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('hash') && !changed.has('changes')) void this.reload();
    super.updated(changed as never);
  }

  override render() {
    return html`<section class="view" aria-labelledby="memory-title">
      <h1 id="memory-title">Memory</h1>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${
        this.memory
          ? html`<memory-card .memory=${this.memory}></memory-card>
              <p class="meta">content_hash <code>${this.memory.content_hash}</code></p>`
          : this.error
            ? nothing
            : html`<p aria-busy="true">Loading…</p>`
      }
    </section>`;
  }
}
