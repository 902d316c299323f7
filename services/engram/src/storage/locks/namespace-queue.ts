/**
 * Work on one namespace within this process, in arrival order, while other namespaces proceed; the
 * chain of a namespace is dropped once it is idle. StoreLocks puts it in front of the cross-process
 * lock, which polls and so would not keep arrival order by itself.
 */
export class NamespaceQueue {
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
}
