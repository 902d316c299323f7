import { LitElement, PropertyValues } from 'lit';
import { EngramApi } from '../api';
import { errorText } from '../format';

/**
 * A view that loads from the API and reloads when memories change (the shell bumps `changes` on live
 * events). Bursts of events (a batch import) coalesce into one reload.
 */
export abstract class ReloadingView extends LitElement {
  static override properties = {
    api: { attribute: false },
    changes: { type: Number },
    error: { state: true },
    loading: { state: true },
  };

  declare api: EngramApi;
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
    } finally {
      this.loading = false;
    }
  }

  protected abstract load(): Promise<void>;
}
