import { html } from 'lit';
import { MemoryPage } from '../api';

/** Previous / "Page n of m" / Next under a paged list; `go` loads the page asked for. */
export function pager(data: Pick<MemoryPage, 'page' | 'total_pages' | 'has_more'>, go: (page: number) => void) {
  return html`<nav class="pager" aria-label="Pages">
    <button ?disabled=${data.page <= 1} @click=${() => go(data.page - 1)}>Previous</button>
    <span>Page ${data.page} of ${Math.max(1, data.total_pages)}</span>
    <button ?disabled=${!data.has_more} @click=${() => go(data.page + 1)}>Next</button>
  </nav>`;
}
