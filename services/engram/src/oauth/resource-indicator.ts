/**
 * An RFC 8707 resource indicator as compared here: the absolute URI's normal form (RFC 3986 §6.2.2-6.2.3:
 * scheme and host in lower case, no default port, an empty path as "/"), so `HTTPS://Host/mcp` and
 * `https://host` with or without its "/" name the resource they spell, as MCP 2026-07-28 asks servers to
 * accept. Undefined for what is no resource indicator: not an absolute URI, or one with a fragment (§2).
 */
export function canonicalResource(resource: string): string | undefined {
  if (resource.includes('#') || !URL.canParse(resource)) return undefined;
  return new URL(resource).href;
}

/** Whether two resource indicators name the same resource; never for one that is no resource indicator. */
export function sameResource(one: string, other: string): boolean {
  const canonical = canonicalResource(one);
  return canonical !== undefined && canonical === canonicalResource(other);
}
