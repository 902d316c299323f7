import type { MemoryPage, MemoryView } from './api';

/**
 * The cursors of the pages a list walked through to reach the one shown, so Previous can go back although
 * a cursor only leads forward. The first page has none. Each page costs the server its own rows however
 * deep it is, where a page number makes it pass over every row before.
 */
export class CursorTrail {
  private readonly cursors: string[] = [];

  /** The cursor of the page shown; undefined on the first page. */
  get cursor(): string | undefined {
    return this.cursors.at(-1);
  }

  /** The page shown, 1 for the first. */
  get page(): number {
    return this.cursors.length + 1;
  }

  /** On to the page after the one shown (its next_cursor). A second click before it loads is not a second step. */
  forward(nextCursor: string): void {
    if (nextCursor !== this.cursor) this.cursors.push(nextCursor);
  }

  /** Back one page; false when already on the first. */
  back(): boolean {
    return this.cursors.pop() !== undefined;
  }

  restart(): void {
    this.cursors.length = 0;
  }
}

/**
 * "Memories 21–40 of 45", or "Memories 21–40" when the server gave no total (a page reached by cursor whose
 * filter it keeps no running count of, such as a type). Rows are numbered from the pages walked; rows stored or deleted before the page since can make
 * that count drift, so it is kept within what the total leaves room for, and the last page ends at the total.
 */
export function shownRange<T extends MemoryView>(noun: string, trail: CursorTrail, data: MemoryPage<T>): string {
  const shown = data.memories.length;
  let first = (trail.page - 1) * data.page_size + 1;
  if (data.total !== null) {
    const rowsAfter = data.next_cursor === null ? 0 : 1;
    const latest = data.total - shown - rowsAfter + 1;
    first = Math.max(1, rowsAfter === 0 ? latest : Math.min(first, latest));
  }
  const last = first + shown - 1;
  const range = shown === 1 ? first.toLocaleString() : `${first.toLocaleString()}–${last.toLocaleString()}`;
  return data.total === null ? `${noun} ${range}` : `${noun} ${range} of ${data.total.toLocaleString()}`;
}

/** The pager's page count: the server's, never fewer than the page shown (rows deleted before it since). */
export function pagesKnown<T extends MemoryView>(trail: CursorTrail, data: MemoryPage<T>): number | null {
  return data.total_pages === null ? null : Math.max(trail.page, data.total_pages);
}
