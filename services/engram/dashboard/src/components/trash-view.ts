import { html, nothing, PropertyValues } from 'lit';
import { addressArrived, addressArrivedAgain, keepInAddress, pageFromAddress } from '../address-query';
import { ApiError, canWrite, DeletedMemoryView, MemoryPage, MemoryView } from '../api';
import { CursorTrail, pagesKnown, shownRange } from '../cursor-trail';
import { errorText, formatTime } from '../format';
import { pager } from './pager';
import { ReloadingView } from './reloading-view';

const PAGE_SIZE = 20;

/**
 * Deleted memories (soft deletes), most recently deleted first: restore one, or delete it for good
 * after a confirmation. Restoring text that is live again points at the live memory instead. Paged by
 * cursor, like the memory list.
 */
export class TrashView extends ReloadingView {
  static override properties = {
    ...ReloadingView.properties,
    address: { attribute: false },
    visit: { attribute: false },
    data: { state: true },
    purging: { state: true },
    notice: { state: true },
    restartNote: { state: true },
  };
  /** The page kept in the address (`#/trash?page=3`), so Back, Forward, a reload and a shared link keep it. */
  declare address: string;
  /** Bumped each time the page's address changes (see addressArrived). */
  declare visit: number;
  declare data: MemoryPage<DeletedMemoryView> | undefined;
  declare purging: DeletedMemoryView | undefined;
  declare notice: { text: string; live?: string } | undefined;
  /** Why the trash went back to its first page on its own (the server refused a cursor); cleared by paging. */
  declare restartNote: string;
  private readonly trail = new CursorTrail();
  /** The page the address asked for, walked to from the first by cursor; 1 once there (or at the last page). */
  private wantedPage = 1;

  constructor() {
    super();
    this.address = '';
    this.restartNote = '';
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!addressArrived(changed)) return;
    const page = new URLSearchParams(this.address).get('page');
    this.trail.restart();
    this.wantedPage = pageFromAddress(page);
    if (page !== null && this.wantedPage === 1) keepInAddress('trash', new URLSearchParams());
  }

  protected override updated(changed: PropertyValues<this>): void {
    super.updated(changed);
    if (addressArrivedAgain(changed)) void this.reload();
  }

  protected async load(): Promise<void> {
    // Next after Next to the page the address named, as the memory list does; the last page if there are fewer.
    for (; this.trail.page < this.wantedPage;) {
      const next = (await this.api.trash(this.trail.cursor, PAGE_SIZE)).next_cursor;
      if (next === null) break;
      this.trail.forward(next);
    }
    this.wantedPage = 1;
    const followed = await this.trail.follow((cursor) => this.api.trash(cursor, PAGE_SIZE));
    if (followed.cursor !== this.trail.cursor) return; // another page was asked for meanwhile
    const data = followed.page;
    if (data.memories.length === 0 && this.trail.back()) return this.load(); // this page emptied (restores, purges)
    if (followed.restartNote) this.restartNote = followed.restartNote;
    this.data = data;
    const page = this.trail.page > 1 ? new URLSearchParams({ page: String(this.trail.page) }) : new URLSearchParams();
    if (this.isConnected) keepInAddress('trash', page);
  }

  protected override clearResults(): void {
    this.data = undefined;
  }

  private async restore(memory: DeletedMemoryView): Promise<void> {
    try {
      await this.api.restore(memory.content_hash);
      this.notice = { text: `Restored “${memory.content.slice(0, 60)}”.`, live: memory.content_hash };
      await this.reload();
    } catch (error) {
      const live = error instanceof ApiError && error.status === 409 ? liveMemoryOf(error) : undefined;
      this.notice = live
        ? { text: 'Not restored: the same text is stored again.', live: live.content_hash }
        : { text: errorText(error) };
    }
  }

  private async purge(): Promise<void> {
    const memory = this.purging!;
    this.purging = undefined;
    try {
      await this.api.purge(memory.content_hash);
      this.notice = { text: `Deleted for good: “${memory.content.slice(0, 60)}”.` };
      await this.reload();
    } catch (error) {
      this.notice = { text: errorText(error) };
    }
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
    const writable = canWrite(this.caller);
    return html`<section class="view" aria-labelledby="trash-title">
      <h1 id="trash-title">Trash</h1>
      <p class="meta">
        Deleted memories stay here until deleted for good. Restoring one makes it searchable again (it is re-embedded).
      </p>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${this.restartNote ? html`<p role="status" class="notice">${this.restartNote}</p>` : nothing}
      ${
        this.notice
          ? html`<p role="status" class="notice">
              ${this.notice.text}
              ${this.notice.live ? html`<a href="#/memory/${this.notice.live}">Open the memory</a>` : nothing}
            </p>`
          : nothing
      }
      ${
        data === undefined
          ? this.error
            ? nothing
            : html`<p aria-busy="true">Loading…</p>`
          : data.memories.length === 0
            ? html`<p class="empty card">The trash is empty.</p>`
            : html`<p class="meta">${shownRange('Deleted memories', this.trail, data)}</p>
                <ol
                  class="memory-list"
                  aria-busy=${this.loading ? 'true' : 'false'}
                  aria-label="Deleted memories, most recently deleted first"
                >
                  ${data.memories.map((memory) => this.renderEntry(memory, writable))}
                </ol>
                ${pager(
                  { page: this.trail.page, pages: pagesKnown(this.trail, data), hasNext: data.next_cursor !== null },
                  () => this.previous(),
                  () => this.next(),
                )}`
      }
      ${
        this.purging
          ? html`<confirm-dialog
              .heading=${'Delete for good?'}
              .text=${this.purging.content.slice(0, 280)}
              .detail=${'It cannot be restored afterwards.'}
              .confirmLabel=${'Delete for good'}
              @confirm=${() => this.purge()}
              @cancel=${() => (this.purging = undefined)}
            ></confirm-dialog>`
          : nothing
      }
    </section>`;
  }

  private renderEntry(memory: DeletedMemoryView, writable: boolean) {
    const label = memory.content.slice(0, 40);
    return html`<li>
      <article class="memory" data-hash=${memory.content_hash}>
        <p class="content">${memory.content}</p>
        <footer>
          <span class="type">${memory.memory_type}</span>
          ${memory.tags.map((tag) => html`<span class="tag">${tag}</span>`)}
          <span>deleted <time datetime=${memory.deleted_at_iso}>${formatTime(memory.deleted_at_iso)}</time></span>
          ${
            writable
              ? html`<span class="actions">
                  <button @click=${() => this.restore(memory)} aria-label="Restore “${label}”">Restore</button>
                  <button
                    class="danger"
                    @click=${() => (this.purging = memory)}
                    aria-label="Delete for good: “${label}”"
                  >
                    Delete for good
                  </button>
                </span>`
              : nothing
          }
        </footer>
      </article>
    </li>`;
  }
}

function liveMemoryOf(error: ApiError): MemoryView | undefined {
  return (error.details as { memory?: MemoryView } | undefined)?.memory;
}
