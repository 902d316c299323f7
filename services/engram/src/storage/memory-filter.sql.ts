/** Which live memories a list or search considers; every field narrows the set. */
export interface MemoryFilter {
  namespace: string;
  tags?: readonly string[];
  /** `any` (default): at least one of the tags; `all`: every tag. */
  tagMatch?: 'any' | 'all';
  memoryType?: string;
  /** Inclusive lower bound on created_at, epoch ms. */
  createdFromMs?: number;
  /** Exclusive upper bound on created_at, epoch ms. */
  createdBeforeMs?: number;
  /** Superseded memories are left out unless this is true. */
  includeSuperseded?: boolean;
}

export interface SqlFragment {
  sql: string;
  params: unknown[];
}

/** True when the filter narrows beyond the namespace (so an index-wide KNN may miss matches). */
export function isNarrowing(filter: MemoryFilter): boolean {
  return (
    (filter.tags?.length ?? 0) > 0 ||
    filter.memoryType !== undefined ||
    filter.createdFromMs !== undefined ||
    filter.createdBeforeMs !== undefined
  );
}

/** A WHERE clause over `memories AS m` selecting the live memories the filter admits. */
export function memoryFilterSql(filter: MemoryFilter): SqlFragment {
  const conditions = ['m.deleted_at IS NULL', 'm.namespace = ?'];
  const params: unknown[] = [filter.namespace];
  if (!filter.includeSuperseded) conditions.push('m.superseded_by IS NULL');
  const tags = [...new Set(filter.tags ?? [])];
  if (tags.length > 0) {
    const marks = tags.map(() => '?').join(', ');
    conditions.push(
      filter.tagMatch === 'all'
        ? `m.id IN (SELECT memory_id FROM memory_tags WHERE tag IN (${marks}) GROUP BY memory_id HAVING count(*) = ${tags.length})`
        : `m.id IN (SELECT memory_id FROM memory_tags WHERE tag IN (${marks}))`,
    );
    params.push(...tags);
  }
  if (filter.memoryType !== undefined) {
    conditions.push('m.memory_type = ?');
    params.push(filter.memoryType);
  }
  if (filter.createdFromMs !== undefined) {
    conditions.push('m.created_at >= ?');
    params.push(filter.createdFromMs);
  }
  if (filter.createdBeforeMs !== undefined) {
    conditions.push('m.created_at < ?');
    params.push(filter.createdBeforeMs);
  }
  return { sql: conditions.join(' AND '), params };
}
