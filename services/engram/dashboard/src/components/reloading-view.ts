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

  protected async reload(): Promise<void> {
    this.loading = true;
    try {
      await this.load();
      this.error = '';
    } catch (error) {
      this.error = errorText(error);
      this.clearResults();
    } finally {
      this.loading = false;
    }
  }

  protected abstract load(): Promise<void>;

  /** After a failed load: drop what was shown, so an error never sits above stale results. */
  protected clearResults(): void {}
}
