/** Why a CPU proposal stands unjudged (the judge's verdict is `unavailable`). */
export type UnjudgedCause = 'gave_way' | 'timeout' | 'failed' | 'no_verdict';

/** One warning: `count` judgements of a namespace stood unjudged for one cause since the last such warning. */
export interface UnjudgedWarning {
  cause: UnjudgedCause;
  namespace: string;
  count: number;
  /** The reason the latest of them gave (an error message, say), so a warning always tells why. */
  reason: string;
}

/** The shortest time between two warnings about one cause in one namespace. */
const WARN_EVERY_MS = 60_000;

interface Window {
  cause: UnjudgedCause;
  namespace: string;
  /** Judgements that stood unjudged since the last warning. */
  unsaid: number;
  latestReason: string;
  timer: NodeJS.Timeout;
}

/**
 * Warns that judgements stood unjudged at most once a minute per cause and namespace: the first at once
 * with its reason, then, at the end of each minute in which more did, how many (with the latest reason).
 * A judge down during a bulk import, or a burst past ENGRAM_CONFLICTS_JUDGE_MAX_WAITING_PER_NAMESPACE, is a
 * few lines instead of one per judgement, and every judgement is still told; the metrics count each one
 * as it happens.
 */
export class UnjudgedWarnings {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly warn: (warning: UnjudgedWarning) => void,
    private readonly everyMs = WARN_EVERY_MS,
  ) {}

  note(cause: UnjudgedCause, namespace: string, reason: string): void {
    const window = this.windows.get(windowKey(cause, namespace));
    if (window) {
      window.unsaid += 1;
      window.latestReason = reason;
      return;
    }
    this.warn({ cause, namespace, count: 1, reason });
    this.open(cause, namespace, reason);
  }

  /** Tells what is still untold, at shutdown. */
  close(): void {
    for (const window of this.windows.values()) {
      clearTimeout(window.timer);
      this.tellUnsaid(window);
    }
    this.windows.clear();
  }

  private open(cause: UnjudgedCause, namespace: string, latestReason: string): void {
    const timer = setTimeout(() => this.windowEnded(cause, namespace), this.everyMs);
    timer.unref();
    this.windows.set(windowKey(cause, namespace), { cause, namespace, unsaid: 0, latestReason, timer });
  }

  /** A quiet minute closes the window, so the next one of its cause and namespace is told at once again. */
  private windowEnded(cause: UnjudgedCause, namespace: string): void {
    const key = windowKey(cause, namespace);
    const window = this.windows.get(key);
    this.windows.delete(key);
    if (!window || window.unsaid === 0) return;
    this.tellUnsaid(window);
    this.open(cause, namespace, window.latestReason);
  }

  private tellUnsaid({ cause, namespace, unsaid, latestReason }: Window): void {
    if (unsaid > 0) this.warn({ cause, namespace, count: unsaid, reason: latestReason });
  }
}

/** The cause never holds a colon, so the key is unambiguous whatever the namespace. */
function windowKey(cause: UnjudgedCause, namespace: string): string {
  return `${cause}:${namespace}`;
}
