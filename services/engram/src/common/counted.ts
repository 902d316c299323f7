/** "1 memory", "2 memories": a count as people write it, for every line a person reads. */
export function counted(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}
