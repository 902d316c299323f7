import { JobView } from './job.types';

/** The first wait before storing a refused end again, doubled each time the store still refuses, up to the longest. */
const FIRST_RETRY_MS = 1_000;
const LONGEST_RETRY_MS = 30_000;
/** Tries after the first refusal: about three minutes of them, then the end is left to a take-over. */
const MAX_RETRIES = 10;

interface PendingEnd {
  view: JobView;
  retries: number;
  timer: NodeJS.Timeout;
}

/**
 * Job ends the store refused (busy, or out of reach a moment), stored again with backoff, so that the other
 * apis on the store see the job ended while this api lives: a waiting job whose cancel was recorded, its end
 * then refused, would otherwise stay "waiting (cancel recorded)" for them until this api's restart or its
 * take-over. Bounded: an end the store still refuses after the last retry is reported through `gaveUp`, and
 * ended by the take-over once this api stops. `store` is idempotent (it stores the job as it stands).
 */
export class UnstoredJobEnds {
  private readonly pending = new Map<string, PendingEnd>();
  private stopped = false;

  constructor(
    private readonly store: (view: JobView) => Promise<void>,
    private readonly gaveUp: (view: JobView, error: unknown) => void,
  ) {}

  /** Keeps the job's end, which the store refused, to store it again. */
  add(view: JobView): void {
    this.schedule({ ...view }, 0);
  }

  /** No retry after this but one last try of each end still kept, before the api lets its jobs be taken over. */
  async flush(): Promise<void> {
    this.stopped = true;
    const left = [...this.pending.values()];
    this.pending.clear();
    await Promise.all(
      left.map(async ({ view, timer }) => {
        clearTimeout(timer);
        await this.store(view).catch((error: unknown) => this.gaveUp(view, error));
      }),
    );
  }

  private schedule(view: JobView, retries: number): void {
    clearTimeout(this.pending.get(view.id)?.timer);
    if (this.stopped) return;
    const delay = Math.min(FIRST_RETRY_MS * 2 ** retries, LONGEST_RETRY_MS);
    const timer = setTimeout(() => void this.retry(view.id), delay);
    timer.unref();
    this.pending.set(view.id, { view, retries, timer });
  }

  private async retry(id: string): Promise<void> {
    const entry = this.pending.get(id);
    if (!entry) return;
    try {
      await this.store(entry.view);
      if (this.pending.get(id) === entry) this.pending.delete(id);
    } catch (error) {
      if (this.pending.get(id) !== entry) return;
      if (entry.retries + 1 < MAX_RETRIES) return this.schedule(entry.view, entry.retries + 1);
      this.pending.delete(id);
      this.gaveUp(entry.view, error);
    }
  }
}
