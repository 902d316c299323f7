import { LitElement, PropertyValues } from 'lit';
import { Caller, EngramApi } from '../api';
import { errorText } from '../format';

/**
 * A view that loads from the API and reloads when memories change (the shell bumps `changes` on live
 * events). Bursts of events (a batch import) coalesce into one reload.
 */
export abstract class ReloadingView extends LitElement {
  static override properties = {
    api: { attribute: false },
    caller: { attribute: false },
    changes: { type: Number },
    error: { state: true },
    loading: { state: true },
  };

  declare api: EngramApi;
  /** Who is signed in: views offer only what the key may do. */
  declare caller: Caller;
  declare changes: number;
  declare error: string;
  declare loading: boolean;
  private reloadTimer: number | undefined;
  /** The load under way, and whether something asked for a reload since it started. */
  private running: Promise<void> | undefined;
  private stale = false;

  constructor() {
    super();
    this.error = '';
    this.loading = false;
  }

  override createRenderRoot() {
    return this;
  }

  override disconnectedCallback(): void {
    window.clearTimeout(this.reloadTimer);
    super.disconnectedCallback();
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (!changed.has('changes')) return;
    if (changed.get('changes') === undefined) void this.reload();
    else {
      window.clearTimeout(this.reloadTimer);
      this.reloadTimer = window.setTimeout(() => void this.reload(), 100);
    }
  }

  /**
   * Loads again, one load at a time: a reload asked for while one runs waits for it and then loads once more
   * (however many were asked for), so an answer read for an earlier filter or page never lands after the
   * answer for the one shown now. The promise settles once the view shows what was current when it was asked.
   */
  protected reload(): Promise<void> {
    if (this.running) {
      this.stale = true;
      return this.running;
    }
    this.running = this.loadUntilCurrent().finally(() => (this.running = undefined));
    return this.running;
  }

  private async loadUntilCurrent(): Promise<void> {
    this.loading = true;
    try {
      do {
        this.stale = false;
        try {
          await this.load();
          this.error = '';
        } catch (error) {
          this.error = errorText(error);
          this.clearResults();
        }
      } while (this.stale);
    } finally {
      this.loading = false;
    }
  }

  protected abstract load(): Promise<void>;

  /** After a failed load: drop what was shown, so an error never sits above stale results. */
  protected clearResults(): void {}
}
