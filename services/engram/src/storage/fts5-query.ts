/** An FTS5 query matching any of the terms, each a quoted string so no query syntax gets through. */
export function anyOf(terms: readonly string[]): string {
  return terms.map(quoted).join(' OR ');
}

/** A term as an FTS5 string: never read as query syntax. */
export function quoted(term: string): string {
  return `"${term.replaceAll('"', '""')}"`;
}
