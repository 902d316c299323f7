/** The shortest time between two warnings about one namespace's judgements that gave way. */
const WARN_EVERY_MS = 60_000;

interface Window {
  /** Judgements that gave way since the last warning. */
  unsaid: number;
  timer: NodeJS.Timeout;
}

/**
 * Warns that judgements of a namespace gave way (a burst past ENGRAM_CONFLICTS_JUDGE_MAX_WAITING_PER_NAMESPACE)
 * at most once a minute per namespace: the first at once, then, at the end of each minute in which more
 * gave way, how many did. A burst of thousands is two lines instead of thousands, and every judgement is
 * still told; engram_conflict_judge_gave_way_total counts each one as it happens.
 */
export class GaveWayWarnings {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly warn: (namespace: string, count: number) => void,
    private readonly everyMs = WARN_EVERY_MS,
  ) {}

  note(namespace: string): void {
    const window = this.windows.get(namespace);
    if (window) {
      window.unsaid += 1;
      return;
    }
    this.warn(namespace, 1);
    this.open(namespace);
  }

  /** Tells what is still untold, at shutdown. */
  close(): void {
    for (const [namespace, { unsaid, timer }] of this.windows) {
      clearTimeout(timer);
      if (unsaid > 0) this.warn(namespace, unsaid);
    }
    this.windows.clear();
  }

  private open(namespace: string): void {
    const timer = setTimeout(() => this.windowEnded(namespace), this.everyMs);
    timer.unref();
    this.windows.set(namespace, { unsaid: 0, timer });
  }

  /** A quiet minute closes the window, so the next one to give way is told at once again. */
  private windowEnded(namespace: string): void {
    const unsaid = this.windows.get(namespace)?.unsaid ?? 0;
    this.windows.delete(namespace);
    if (unsaid === 0) return;
    this.warn(namespace, unsaid);
    this.open(namespace);
  }
}
