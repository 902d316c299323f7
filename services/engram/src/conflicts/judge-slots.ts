/**
 * At most `size` judge requests in flight per process; later ones wait their turn in order. A wait ends
 * early when its signal aborts (a store's review has a deadline), so no caller waits past its own limit.
 */
export class JudgeSlots {
  private free: number;
  private readonly waiting: { grant(): void; signal?: AbortSignal }[] = [];

  constructor(size: number) {
    this.free = size;
  }

  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const entry = { grant: resolve, signal };
      this.waiting.push(entry);
      signal?.addEventListener(
        'abort',
        () => {
          const index = this.waiting.indexOf(entry);
          if (index < 0) return;
          this.waiting.splice(index, 1);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next.grant();
    else this.free += 1;
  }
}
