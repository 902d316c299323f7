import { ApiError, type MemoryPage, type MemoryView } from './api';

/** A page as the trail fetched it: the cursor it was asked for with, and why the trail started again, if it did. */
export interface FollowedPage<T> {
  page: T;
  cursor: string | undefined;
  restartNote?: string;
}

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

  /**
   * The page shown, fetched with its cursor. When the server refuses that cursor (400: one it did not write
   * or that was edited, or one made for other filters, as a server whose cursors changed in an upgrade
   * answers), the trail starts again at the first page, which needs none, and says why: a cursor leads only
   * forward from where it was made, so no page before it is sure to be accepted either. Any other failure,
   * or one after the trail moved on meanwhile, is thrown.
   */
  async follow<T>(fetchPage: (cursor: string | undefined) => Promise<T>): Promise<FollowedPage<T>> {
    const cursor = this.cursor;
    try {
      return { page: await fetchPage(cursor), cursor };
    } catch (error) {
      const refused =
        cursor !== undefined && cursor === this.cursor && error instanceof ApiError && error.status === 400;
      if (!refused) throw error;
      this.restart();
      // The server's reason up to its advice to API clients, as in "cursor was made for another tags".
      const reason = error.message.split(':')[0];
      return {
        page: await fetchPage(undefined),
        cursor: undefined,
        restartNote: `Back to the first page: the server would not go on from the page before (${reason}).`,
      };
    }
  }
}

/**
 * "Memories 21–40 of 45", or "Memories 21–40" when the server gave no total (a page reached by cursor whose
 * filter it keeps no running count of, such as several tags). Rows are numbered from the pages walked; rows
 * stored or deleted before the page since can make that count drift, so it is kept within what the total
 * leaves room for, and the last page ends at the total.
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
