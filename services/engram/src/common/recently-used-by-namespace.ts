import { RecentlyUsed } from './recently-used';

/** What one namespace may keep, and what every namespace together may keep. */
export interface NamespaceShareBounds {
  perNamespace: number;
  total: number;
}

/**
 * A per-process cache shared by tenants: each namespace its own least-recently-used entries. A namespace
 * past its own bound forgets its own least recent entry; past the total, the namespace holding the most
 * (of equals, the one used longest ago) forgets its least recent. One tenant's load therefore never pushes
 * out another's entries while the total has room, and under pressure it takes only from namespaces holding
 * at least as many as any other. In one LRU for every namespace, a tenant asking for enough distinct keys
 * pushed out every other's, so their next request was slower, and by timing its own repeats a tenant could
 * tell when others had been active.
 */
export class RecentlyUsedByNamespace<K, V> {
  private readonly namespaces = new Map<string, RecentlyUsed<K, V>>();
  /**
   * Namespaces by how many entries they hold, each set the least recently used first (a Set iterates in
   * insertion order): finding the largest costs the same however many namespaces there are.
   */
  private readonly bySize = new Map<number, Set<string>>();
  private largestSize = 0;
  private held = 0;

  constructor(private readonly bounds: NamespaceShareBounds) {}

  /** Entries held across every namespace. */
  get size(): number {
    return this.held;
  }

  get(namespace: string, key: K): V | undefined {
    const entries = this.namespaces.get(namespace);
    if (!entries) return undefined;
    this.place(namespace, entries.size, entries.size);
    return entries.get(key);
  }

  set(namespace: string, key: K, value: V): void {
    let entries = this.namespaces.get(namespace);
    if (!entries) this.namespaces.set(namespace, (entries = new RecentlyUsed<K, V>(this.bounds.perNamespace)));
    const before = entries.size;
    entries.set(key, value);
    this.held += entries.size - before;
    this.place(namespace, before, entries.size);
    while (this.held > this.bounds.total) this.forgetFromLargest();
  }

  /** Files the namespace under the size it now holds, as the most recently used of that size. */
  private place(namespace: string, from: number, to: number): void {
    this.bySize.get(from)?.delete(namespace);
    if (this.bySize.get(from)?.size === 0) this.bySize.delete(from);
    if (to === 0) return;
    const sized = this.bySize.get(to) ?? new Set<string>();
    this.bySize.set(to, sized.add(namespace));
    this.largestSize = Math.max(this.largestSize, to);
  }

  private forgetFromLargest(): void {
    while (this.largestSize > 0 && !this.bySize.has(this.largestSize)) this.largestSize -= 1;
    const [namespace] = this.bySize.get(this.largestSize) ?? [];
    const entries = namespace === undefined ? undefined : this.namespaces.get(namespace);
    if (!entries) return;
    entries.forgetLeastRecent();
    this.held -= 1;
    this.place(namespace, entries.size + 1, entries.size);
    if (entries.size === 0) this.namespaces.delete(namespace);
  }
}
