import { keysetAfter, KeysetColumns, KeysetPosition } from './keyset.sql';
import { FilterAccess, MemoryFilter, memoryFilterSql, SqlFragment } from './memory-filter.sql';
import { ListOrder } from './memory.store';

/** Where a page of a list starts: after a position (a cursor, a walk), or past an offset (a numbered page). */
export type PageStart = { after: KeysetPosition } | { offset: number };

/** A tag row's copies of its memory's creation time and id: the order of memory_tags_live_created. */
const BY_TAGGED_CREATION: KeysetColumns = { at: 'tagged.created_at', id: 'tagged.memory_id' };

/** The filter's tags, each once; a list filtered by any of them is paged by tag (taggedPageSql). */
export function tagsOf(filter: MemoryFilter): string[] {
  return [...new Set(filter.tags ?? [])];
}

/** The tags whose tallies choose the plan: all of several tags are walked from the rarest. */
export function tagsToWeigh(filter: MemoryFilter): string[] {
  const tags = tagsOf(filter);
  return filter.tagMatch === 'all' && tags.length > 1 ? tags : [];
}

/** How the engine reads the filter's tag rows and their memories: see taggedPageSql. */
export interface TaggedReading {
  /** SQLite's CROSS JOIN keeps the tag index the outer loop; PostgreSQL's planner takes it with a JOIN. */
  join: 'CROSS JOIN' | 'JOIN';
  /** `memories AS m`, or an index of it that holds every column the filter checks. */
  memories: string;
  /** The tag tallies of tagsToWeigh(filter): all of several tags are walked from the rarest. */
  tagCount?: (tag: string) => number;
  /** How the other tags of all of several are looked up per row (memoryFilterSql's access). */
  probe: Extract<FilterAccess, 'probe' | 'probe-each'>;
}

/**
 * A page of a list filtered by tags, read from memory_tags_live_created (SQLite migration 032, PostgreSQL
 * 24): a tag row holds copies of its memory's namespace, creation and deletion times, so a tag's live
 * memories are a range of that index in creation order, and a page reads its own rows there (and those the
 * rest of the filter turns away) instead of every memory carrying the tag. One tag: its range. All of
 * several: the range of the rarest, the others looked up per row. Any of several: each tag's range up to
 * the page's end, merged; only those rows are sorted. Answers `columns` of the page's memories (`m`), in
 * the page's order.
 */
export function taggedPageSql(
  filter: MemoryFilter,
  order: ListOrder,
  start: PageStart,
  limit: number,
  columns: string,
  reading: TaggedReading,
): SqlFragment {
  const tags = tagsOf(filter);
  const skip = 'offset' in start ? start.offset : 0;
  const after = 'after' in start ? start.after : undefined;
  if (filter.tagMatch === 'all' || tags.length === 1) {
    const [driving, ...others] = byRarity(tags, reading.tagCount);
    return tagRange(filter, [driving], others, order, after, { limit, offset: skip, columns }, reading);
  }
  const direction = order === 'newest' ? 'DESC' : 'ASC';
  // The page's rows lie among the first `skip + limit` of each tag's range.
  const ranges = tags.map((tag) =>
    tagRange(filter, [tag], [], order, after, { limit: skip + limit, offset: 0, columns: 'm.id' }, reading),
  );
  return {
    sql: `SELECT ${columns} FROM memories m WHERE m.id IN (${ranges
      .map((range, i) => `SELECT id FROM (${range.sql}) AS by_tag_${i}`)
      .join(' UNION ALL ')}) ORDER BY m.created_at ${direction}, m.id ${direction} LIMIT ? OFFSET ?`,
    params: [...ranges.flatMap((range) => range.params), limit, skip],
  };
}

/** The filter's count by the same ranges: all of several tags from the rarest, any of them each once. */
export function taggedCountSql(filter: MemoryFilter, reading: TaggedReading): SqlFragment {
  const tags = tagsOf(filter);
  if (filter.tagMatch === 'all' || tags.length === 1) {
    const [driving, ...others] = byRarity(tags, reading.tagCount);
    return tagRange(filter, [driving], others, 'oldest', undefined, { columns: 'count(*)' }, reading);
  }
  return tagRange(filter, tags, [], 'oldest', undefined, { columns: 'count(DISTINCT tagged.memory_id)' }, reading);
}

/** The tags, the one on the fewest memories first (ties in the given order); as given without counts. */
function byRarity(tags: readonly string[], tagCount: ((tag: string) => number) | undefined): string[] {
  if (!tagCount) return [...tags];
  return tags
    .map((tag, index) => ({ tag, index, count: tagCount(tag) }))
    .sort((a, b) => a.count - b.count || a.index - b.index)
    .map(({ tag }) => tag);
}

/**
 * The live memories carrying one of `tags` (and every tag of `others`, looked up per row) that the rest of
 * the filter admits, walked along the tags' ranges: the time window and the position bound the range, the
 * memory is checked for the rest. Ordered and limited for a page; for a count, neither.
 */
function tagRange(
  filter: MemoryFilter,
  tags: readonly string[],
  others: readonly string[],
  order: ListOrder,
  after: KeysetPosition | undefined,
  page: { columns: string; limit?: number; offset?: number },
  reading: TaggedReading,
): SqlFragment {
  const conditions = [
    'tagged.namespace = ?',
    tags.length === 1 ? 'tagged.tag = ?' : `tagged.tag IN (${tags.map(() => '?').join(', ')})`,
    'tagged.deleted_at IS NULL',
  ];
  const params: unknown[] = [filter.namespace, ...tags];
  if (filter.createdFromMs !== undefined) {
    conditions.push('tagged.created_at >= ?');
    params.push(filter.createdFromMs);
  }
  if (filter.createdBeforeMs !== undefined) {
    conditions.push('tagged.created_at < ?');
    params.push(filter.createdBeforeMs);
  }
  if (after) {
    const position = keysetAfter(BY_TAGGED_CREATION, after, order === 'newest');
    conditions.push(position.sql);
    params.push(...position.params);
  }
  const rest = memoryFilterSql(
    { ...filter, tags: others, tagMatch: 'all', createdFromMs: undefined, createdBeforeMs: undefined },
    reading.probe,
    'tagged.memory_id',
  );
  const from = `SELECT ${page.columns} FROM memory_tags tagged ${reading.join} ${reading.memories}
    ON m.id = tagged.memory_id WHERE ${conditions.join(' AND ')} AND ${rest.sql}`;
  if (page.limit === undefined) return { sql: from, params: [...params, ...rest.params] };
  const direction = order === 'newest' ? 'DESC' : 'ASC';
  return {
    sql: `${from} ORDER BY tagged.created_at ${direction}, tagged.memory_id ${direction} LIMIT ? OFFSET ?`,
    params: [...params, ...rest.params, page.limit, page.offset ?? 0],
  };
}
