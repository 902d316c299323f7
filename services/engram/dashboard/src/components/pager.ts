import { html } from 'lit';

/** Where a paged list is: the page shown (1 for the first), how many there are when known, and whether one follows. */
export interface PagerPosition {
  page: number;
  /** Null when the server could not count them cheaply (a page reached by cursor filtered by type, say). */
  pages: number | null;
  hasNext: boolean;
}

/** Previous / "Page n of m" (or "Page n") / Next under a paged list. */
export function pager(position: PagerPosition, previous: () => void, next: () => void) {
  const of = position.pages === null ? '' : ` of ${Math.max(1, position.pages)}`;
  return html`<nav class="pager" aria-label="Pages">
    <button ?disabled=${position.page <= 1} @click=${previous}>Previous</button>
    <span>Page ${position.page}${of}</span>
    <button ?disabled=${!position.hasNext} @click=${next}>Next</button>
  </nav>`;
}
