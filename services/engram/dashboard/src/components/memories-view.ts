import { html, nothing, PropertyValues } from 'lit';
import { addressArrived, addressArrivedAgain, keepInAddress, pageFromAddress } from '../address-query';
import { canWrite, MemoryPage } from '../api';
import { CursorTrail, pagesKnown, shownRange } from '../cursor-trail';
import { filterSelect } from './filter-select';
import { pager } from './pager';
import { ReloadingView } from './reloading-view';

const PAGE_SIZE = 20;

/** Browse: newest first, filtered by tag and type, a page at a time by cursor; the list follows live changes. */
export class MemoriesView extends ReloadingView {
  static override properties = {
    ...ReloadingView.properties,
    address: { attribute: false },
    visit: { attribute: false },
    data: { state: true },
    tag: { state: true },
    type: { state: true },
    tags: { state: true },
    types: { state: true },
    restartNote: { state: true },
  };
  /**
   * The filters and the page kept in the address (`#/memories?tag=…&type=…&page=3`), so Back, Forward, a reload
   * and a shared link keep them.
   */
  declare address: string;
  /** Bumped each time the page's address changes (see addressArrived). */
  declare visit: number;
  declare data: MemoryPage | undefined;
  declare tag: string;
  declare type: string;
  declare tags: string[];
  declare types: string[];
  /** Why the list went back to its first page on its own (the server refused a cursor); cleared by paging. */
  declare restartNote: string;
  private readonly trail = new CursorTrail();
  /** The page the address asked for, walked to from the first by cursor; 1 once there (or at the last page). */
  private wantedPage = 1;

  constructor() {
    super();
    this.address = '';
    this.tag = '';
    this.type = '';
    this.tags = [];
    this.types = [];
    this.restartNote = '';
  }

  protected async load(): Promise<void> {
    await this.walkToWantedPage();
    let query = this.query(this.trail.cursor);
    const [followed, tags, types] = await Promise.all([
      this.trail.follow((cursor) => this.api.list((query = this.query(cursor)))),
      this.api.tags(),
      this.api.types(),
    ]);
    if (query.toString() !== this.query(this.trail.cursor).toString()) return; // another page or filter asked for
    const data = followed.page;
    if (data.memories.length === 0 && this.trail.back()) return this.load(); // this page emptied (deletes)
    if (followed.restartNote) this.restartNote = followed.restartNote;
    this.data = data;
    this.tags = tags.tags.map((entry) => entry.tag);
    this.types = types.types.map((entry) => entry.memory_type);
    // The page shown is the one the address names: the one asked for, or where paging or the server led.
    if (this.isConnected) keepInAddress('memories', this.filtersWithPage(this.trail.page));
  }

  /**
   * Next after Next, from the first page, to the page the address named, as a person would (a cursor leads
   * only forward, and the list never asks for a page by number); it stops at the last page if the list is
   * shorter, and gives up when a filter is chosen meanwhile (it starts again from the first page).
   */
  private async walkToWantedPage(): Promise<void> {
    const filters = this.filtersWithPage(1).toString();
    while (this.trail.page < this.wantedPage) {
      const page = await this.api.list(this.query(this.trail.cursor));
      if (this.filtersWithPage(1).toString() !== filters) return;
      if (page.next_cursor === null) break;
      this.trail.forward(page.next_cursor);
    }
    this.wantedPage = 1;
  }

  protected override clearResults(): void {
    this.data = undefined;
  }

  /** A page of the list: the first needs no cursor; the filters go with every page, as its cursor was made for them. */
  private query(cursor: string | undefined): URLSearchParams {
    const query = new URLSearchParams({ page_size: String(PAGE_SIZE) });
    if (cursor !== undefined) query.set('cursor', cursor);
    if (this.tag) query.set('tag', this.tag);
    if (this.type) query.set('memory_type', this.type);
    return query;
  }

  /** The filters and the page the address brought (Back, Forward, a reload, a link); a page that is none is the first. */
  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!addressArrived(changed)) return;
    const filters = new URLSearchParams(this.address);
    this.tag = filters.get('tag') ?? '';
    this.type = filters.get('type') ?? '';
    this.trail.restart();
    this.wantedPage = pageFromAddress(filters.get('page'));
    if (filters.has('page') && this.wantedPage === 1) keepInAddress('memories', this.filtersWithPage(1));
  }

  /** What the address keeps: the filters chosen and the page, when past the first. */
  private filtersWithPage(page: number): URLSearchParams {
    const kept = new URLSearchParams();
    if (this.tag) kept.set('tag', this.tag);
    if (this.type) kept.set('type', this.type);
    if (page > 1) kept.set('page', String(page));
    return kept;
  }

  protected override updated(changed: PropertyValues<this>): void {
    super.updated(changed);
    if (addressArrivedAgain(changed)) void this.reload();
  }

  private filter(event: Event): void {
    const select = event.target as HTMLSelectElement;
    if (select.name === 'tag') this.tag = select.value;
    else this.type = select.value;
    keepInAddress('memories', this.filtersWithPage(1));
    this.trail.restart();
    this.wantedPage = 1;
    this.restartNote = '';
    void this.reload();
  }

  private next(): void {
    if (!this.data?.next_cursor) return;
    this.trail.forward(this.data.next_cursor);
    this.restartNote = '';
    void this.reload();
  }

  private previous(): void {
    if (!this.trail.back()) return;
    this.restartNote = '';
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
        ${filterSelect({ name: 'tag', label: 'Tag', anyLabel: 'Any tag', values: this.tags, selected: this.tag })}
        ${filterSelect({ name: 'type', label: 'Type', anyLabel: 'Any type', values: this.types, selected: this.type })}
      </form>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${this.restartNote ? html`<p role="status" class="notice">${this.restartNote}</p>` : nothing}
      ${
        data === undefined
          ? this.error
            ? nothing
            : html`<p aria-busy="true">Loading…</p>`
          : data.memories.length === 0
            ? html`<p class="empty card">No memories${this.tag || this.type ? ' match these filters' : ' yet'}.</p>`
            : html`<p class="meta">${shownRange('Memories', this.trail, data)}</p>
                <ol
                  class="memory-list"
                  aria-busy=${this.loading ? 'true' : 'false'}
                  aria-label="Memories, newest first"
                >
                  ${data.memories.map(
                    (memory) =>
                      html`<li><memory-card .memory=${memory} .canWrite=${canWrite(this.caller)}></memory-card></li>`,
                  )}
                </ol>
                ${pager(
                  { page: this.trail.page, pages: pagesKnown(this.trail, data), hasNext: data.next_cursor !== null },
                  () => this.previous(),
                  () => this.next(),
                )}`
      }
    </section>`;
  }
}
