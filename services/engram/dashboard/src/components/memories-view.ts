import { html, nothing } from 'lit';
import { canWrite, MemoryPage } from '../api';
import { pager } from './pager';
import { ReloadingView } from './reloading-view';

const PAGE_SIZE = 20;

/** Browse: newest first, filtered by tag and type, paginated; the list follows live changes. */
export class MemoriesView extends ReloadingView {
  static override properties = {
    ...ReloadingView.properties,
    data: { state: true },
    page: { state: true },
    tag: { state: true },
    type: { state: true },
    tags: { state: true },
    types: { state: true },
  };
  declare data: MemoryPage | undefined;
  declare page: number;
  declare tag: string;
  declare type: string;
  declare tags: string[];
  declare types: string[];

  constructor() {
    super();
    this.page = 1;
    this.tag = '';
    this.type = '';
    this.tags = [];
    this.types = [];
  }

  protected async load(): Promise<void> {
    const query = new URLSearchParams({ page: String(this.page), page_size: String(PAGE_SIZE) });
    if (this.tag) query.set('tag', this.tag);
    if (this.type) query.set('memory_type', this.type);
    const [data, tags, types] = await Promise.all([this.api.list(query), this.api.tags(), this.api.types()]);
    if (data.memories.length === 0 && this.page > 1 && data.total > 0) {
      this.page = data.total_pages; // the last page emptied (deletes): show the new last page
      return this.load();
    }
    this.data = data;
    this.tags = tags.tags.map((entry) => entry.tag);
    this.types = types.types.map((entry) => entry.memory_type);
  }

  protected override clearResults(): void {
    this.data = undefined;
  }

  private filter(event: Event): void {
    const select = event.target as HTMLSelectElement;
    if (select.name === 'tag') this.tag = select.value;
    else this.type = select.value;
    this.page = 1;
    void this.reload();
  }

  private go(page: number): void {
    this.page = page;
    void this.reload();
  }

  override render() {
    const data = this.data;
    return html`<section class="view" aria-labelledby="memories-title">
      <div class="view-head">
        <h1 id="memories-title">Memories</h1>
        ${
          canWrite(this.caller)
            ? html`<button
                class="primary"
                @click=${() => this.dispatchEvent(new CustomEvent('memory-new', { bubbles: true }))}
              >
                New memory
              </button>`
            : nothing
        }
      </div>
      <form class="filters" @change=${this.filter} @submit=${(event: Event) => event.preventDefault()}>
        <label
          >Tag
          <select name="tag">
            <option value="">Any tag</option>
            ${this.tags.map((tag) => html`<option ?selected=${tag === this.tag}>${tag}</option>`)}
          </select></label
        >
        <label
          >Type
          <select name="type">
            <option value="">Any type</option>
            ${this.types.map((type) => html`<option ?selected=${type === this.type}>${type}</option>`)}
          </select></label
        >
      </form>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${
        data === undefined
          ? this.error
            ? nothing
            : html`<p aria-busy="true">Loading…</p>`
          : data.memories.length === 0
            ? html`<p class="empty card">No memories${this.tag || this.type ? ' match these filters' : ' yet'}.</p>`
            : html`<p class="meta">${data.total.toLocaleString()} ${data.total === 1 ? 'memory' : 'memories'}</p>
                <ol class="memory-list" aria-label="Memories, newest first">
                  ${data.memories.map(
                    (memory) =>
                      html`<li><memory-card .memory=${memory} .canWrite=${canWrite(this.caller)}></memory-card></li>`,
                  )}
                </ol>
                ${pager(data, (page) => this.go(page))}`
      }
    </section>`;
  }
}
