/** "memory" or "memories": the noun for `count` things, for a count written apart from it ("1,234 memories"). */
export function nounFor(count: number, one: string, many: string): string {
  return count === 1 ? one : many;
}

/** "1 memory", "2 memories": a count as people write it, for every line a person reads. */
export function counted(count: number, one: string, many: string): string {
  return `${count} ${nounFor(count, one, many)}`;
}
