/**
 * One writer per memory: runs for the same namespace wait for each other, in arrival order, while
 * other namespaces proceed. The chain of a namespace is dropped once it is idle.
 */
export class NamespaceLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(namespace: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(namespace) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(namespace, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (this.tails.get(namespace) === tail) this.tails.delete(namespace);
    }
  }

  /** Namespaces with a run in progress or waiting. */
  get busy(): number {
    return this.tails.size;
  }
}

/**
 * The one lock for the memory directories of this process: agent runs, the start-up index sync and
 * imports into a namespace's directory all wait for each other.
 */
export const MEMORY_DIR_LOCK = new NamespaceLock();
