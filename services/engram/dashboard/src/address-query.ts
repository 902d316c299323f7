/**
 * What a view was asked for (a search, the list's filters) kept in the address after its route, as
 * `#/search?query=…`, so that Back from a memory's page, Forward and a reload come back to it. It replaces the
 * current history entry: each new search is not a step back of its own.
 */
export function keepInAddress(route: string, query: URLSearchParams): void {
  const kept = query.toString();
  history.replaceState(null, '', `#/${route}${kept ? `?${kept}` : ''}`);
}
