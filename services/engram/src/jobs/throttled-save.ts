/**
 * Saves at most once per `everyMs`, always the latest: a change is saved on the next turn of the event loop
 * when the last save is older than that, else once it is, so the last change before a job stalls (waiting
 * for a lock, an embedding endpoint) is saved too. For a running job's progress, read by other apis.
 * `save` answers false when the store was too busy to take it (tried again `everyMs` later); it reports its
 * own failures and never throws.
 */
export class ThrottledSave {
  private timer: NodeJS.Timeout | undefined;
  private savedAt = 0;
  private stopped = false;

  constructor(
    private readonly save: () => Promise<boolean>,
    private readonly everyMs: number,
  ) {}

  changed(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => this.saveNow(), Math.max(0, this.savedAt + this.everyMs - Date.now()));
    this.timer.unref();
  }

  /** No save after this; one under way finishes (the store ignores it once the job has ended). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private saveNow(): void {
    this.timer = undefined;
    this.savedAt = Date.now();
    void this.save().then((saved) => saved || this.changed());
  }
}
