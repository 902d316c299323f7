import type { PropertyValues } from 'lit';

/**
 * What a view was asked for (a search, the list's filters) kept in the address after its route, as
 * `#/search?query=…`, so that Back from a memory's page, Forward and a reload come back to it. It replaces the
 * current history entry: each new search is not a step back of its own.
 */
export function keepInAddress(route: string, query: URLSearchParams): void {
  const kept = query.toString();
  history.replaceState(null, '', `#/${route}${kept ? `?${kept}` : ''}`);
}

/**
 * Whether an update brings the view an address to read: a new one, or a visit (`visit` bumped: its route was
 * followed again while it was shown, as a click on its link from `#/memories?page=3` to `#/memories`). The
 * address the view kept itself never reached the page's own copy, so a visit may bring an equal value.
 */
export function addressArrived(changed: PropertyValues): boolean {
  return changed.has('address') || changed.has('visit');
}

/** As addressArrived, after the view's first update (which loads on its own). */
export function addressArrivedAgain(changed: PropertyValues): boolean {
  return ['address', 'visit'].some((name) => changed.has(name) && changed.get(name) !== undefined);
}

/** The most pages an address may name: the server's own bound on a page number. */
const MAX_PAGE = 1_000_000;

/** The page an address names (`page=3`); 1 without one, and for one that is no page number (`0`, `two`, `1.5`). */
export function pageFromAddress(value: string | null): number {
  if (value === null || !/^[1-9][0-9]*$/.test(value)) return 1;
  const page = Number(value);
  return page <= MAX_PAGE ? page : 1;
}
