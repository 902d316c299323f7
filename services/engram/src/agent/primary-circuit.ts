/** Failed calls in a row that open the circuit. */
const FAILURES_TO_OPEN = 3;
/** How long an open circuit sends calls straight to the fallback before one call tries the primary again. */
export const PRIMARY_COOL_DOWN_MS = 30_000;

/**
 * Whether calls should still try the primary model endpoint first. While it fails (5xx, timeouts, refused
 * connections) three calls in a row, each of those calls waited for it before going to the fallback; then
 * the circuit opens and calls go straight to the fallback for a cool-down, after which one call probes the
 * primary (others keep using the fallback meanwhile): its success closes the circuit, its failure opens
 * it again. Per process: each replica learns about the primary from its own calls, within a few calls.
 */
export class PrimaryCircuit {
  private failures = 0;
  private openUntil = 0;
  private probing = false;

  constructor(private readonly now: () => number = Date.now) {}

  /** True when this call should try the primary; a true while open makes this call the probe. */
  tryPrimary(): boolean {
    if (this.failures < FAILURES_TO_OPEN) return true;
    if (this.probing || this.now() < this.openUntil) return false;
    this.probing = true;
    return true;
  }

  get open(): boolean {
    return this.failures >= FAILURES_TO_OPEN;
  }

  succeeded(): void {
    this.failures = 0;
    this.probing = false;
  }

  failed(): void {
    this.failures += 1;
    this.probing = false;
    if (this.failures >= FAILURES_TO_OPEN) this.openUntil = this.now() + PRIMARY_COOL_DOWN_MS;
  }
}
