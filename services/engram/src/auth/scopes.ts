/**
 * What a credential may do. They nest: `write` includes `read`, `admin` includes both (keys, backups,
 * restore, reindex, jobs).
 */
export const SCOPES = ['read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

const RANK: Record<Scope, number> = { read: 1, write: 2, admin: 3 };

export function grants(held: readonly Scope[], needed: Scope): boolean {
  return held.some((scope) => RANK[scope] >= RANK[needed]);
}

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}
