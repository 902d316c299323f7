/**
 * The bounds of the hashes starting with a lowercase hex prefix, as a half-open range [from, below): every
 * hex character sorts before "g" (in byte order, and in the letters-after-digits order of PostgreSQL's
 * language collations), so the range is one range of the hash index, where `LIKE 'prefix%'` would need
 * a pattern index on PostgreSQL outside the C locale.
 */
export function hashPrefixRange(prefix: string): [from: string, below: string] {
  return [prefix, `${prefix}g`];
}
