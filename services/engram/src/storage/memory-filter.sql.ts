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

/**
 * How the statement reaches its rows, which decides the best form of the tag condition:
 * - `scan` (default): the statement walks memories; tags as `m.id IN (subquery)`, so the planner can
 *   drive from the tag index;
 * - `probe`: rows come from elsewhere (a candidate list, the full-text index) and each is checked; tags
 *   as a correlated look-up per row, where the IN form would first build the tag's whole id list (~4 ms
 *   for a tag on 20k memories, however few the candidates);
 * - `intersect`: as `scan`, but all of several tags as one IN per tag, which PostgreSQL's planner merges
 *   over the tag index (each tag's ids in order) instead of grouping every row of every tag by memory: at
 *   29,000 memories, work and travel's 1,512 shared memories in 10 ms instead of 67 (EXPLAIN ANALYZE);
 * - `probe-each`: as `probe`, but all of several tags as one EXISTS per tag, which stops at the first tag the
 *   memory lacks instead of counting its rows of every tag. SQLite's tag pages and counts use it (100,000
 *   memories: all of three tags counted in 12-17 ms instead of 19-39); on PostgreSQL the planner turns the
 *   EXISTS into joins, parallel ones on a deep page, slower there than the count (docs/architecture.md).
 */
export type FilterAccess = 'scan' | 'probe' | 'intersect' | 'probe-each';

/**
 * `memories AS m` (SQLite) for a statement that probes candidate ids against memoryFilterSql(filter, 'probe'):
 * through the index holding every column a filter checks (migration 025), so a candidate costs a look-up
 * in a small index instead of a read of its row and text. Named because SQLite's planner always prefers
 * the rowid; the filter's `deleted_at IS NULL` is what lets the partial index answer.
 */
export const PROBED_MEMORIES = 'memories m INDEXED BY memories_filter_probe';

/**
 * A WHERE clause over `memories AS m` selecting the live memories the filter admits. With `probe` access,
 * `probedId` names the candidate's id in the statement's outer loop (the full-text rowid, a list's value):
 * the tag look-up then refers to it alone, so SQLite makes it before the candidate's probe of `m`, which
 * only the memories holding a tag then pay. For candidates already inside the filter's id ranges (the time
 * window mostly holds), as in the bench's filter where a fifth of those hold the tag, that is ~1.2 look-ups
 * a candidate instead of ~1.9. Without the ranges a window may reject most candidates first: `m.id` (the
 * default) keeps the tag look-up last.
 */
export function memoryFilterSql(filter: MemoryFilter, access: FilterAccess = 'scan', probedId = 'm.id'): SqlFragment {
  const conditions = ['m.deleted_at IS NULL', 'm.namespace = ?'];
  const params: unknown[] = [filter.namespace];
  if (!filter.includeSuperseded) conditions.push('m.superseded_by IS NULL');
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
  // Last: a row's own columns are checked before the tag look-up they can spare (SQLite tests in order),
  // unless the look-up refers to the outer loop's id (above).
  const tags = [...new Set(filter.tags ?? [])];
  if (tags.length > 0) {
    conditions.push(tagCondition(filter, tags, access, probedId));
    params.push(...tags);
  }
  return { sql: conditions.join(' AND '), params };
}

/** The condition that the memory carries the tags (one `?` each, in order), in the form `access` calls for. */
function tagCondition(filter: MemoryFilter, tags: readonly string[], access: FilterAccess, probedId: string): string {
  const marks = tags.map(() => '?').join(', ');
  if (filter.tagMatch === 'all' && access === 'intersect') {
    return tags.map(() => 'm.id IN (SELECT memory_id FROM memory_tags WHERE tag = ?)').join(' AND ');
  }
  if (filter.tagMatch === 'all' && access === 'probe-each') {
    return tags
      .map(() => `EXISTS (SELECT 1 FROM memory_tags t WHERE t.memory_id = ${probedId} AND t.tag = ?)`)
      .join(' AND ');
  }
  return access === 'probe' || access === 'probe-each'
    ? probeTags(filter, marks, tags.length, probedId)
    : scanTags(filter, marks, tags.length);
}

function scanTags(filter: MemoryFilter, marks: string, count: number): string {
  return filter.tagMatch === 'all'
    ? `m.id IN (SELECT memory_id FROM memory_tags WHERE tag IN (${marks}) GROUP BY memory_id HAVING count(*) = ${count})`
    : `m.id IN (SELECT memory_id FROM memory_tags WHERE tag IN (${marks}))`;
}

function probeTags(filter: MemoryFilter, marks: string, count: number, id: string): string {
  return filter.tagMatch === 'all'
    ? `(SELECT count(*) FROM memory_tags t WHERE t.memory_id = ${id} AND t.tag IN (${marks})) = ${count}`
    : `EXISTS (SELECT 1 FROM memory_tags t WHERE t.memory_id = ${id} AND t.tag IN (${marks}))`;
}
