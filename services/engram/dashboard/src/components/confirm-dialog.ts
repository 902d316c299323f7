import { html, LitElement, nothing } from 'lit';
import { keepTabWithin } from './keep-tab-within';
import { ReturnFocus } from './return-focus';

/**
 * "Delete this memory?", "Restore this backup?": a modal alert dialog quoting what it is about. Cancel
 * has the focus, so Enter never confirms by accident. An owner that acts only once the dialog has been
 * confirmed may keep it open and set `error` when the action fails, so it is read where it was asked for.
 */
export class ConfirmDialog extends LitElement {
  static override properties = {
    heading: {},
    text: {},
    detail: {},
    confirmLabel: {},
    danger: { type: Boolean },
    error: {},
    busy: { type: Boolean },
  };
  declare heading: string;
  /** Quoted: the memory's content, the backup's name. */
  declare text: string;
  /** What will happen, in a sentence. */
  declare detail: string;
  declare confirmLabel: string;
  declare danger: boolean;
  declare error: string;
  declare busy: boolean;

  constructor() {
    super();
    new ReturnFocus(this);
    this.detail = '';
    this.danger = true;
    this.error = '';
    this.busy = false;
  }

  override createRenderRoot() {
    return this;
  }

  override firstUpdated(): void {
    this.querySelector('dialog')!.showModal();
    this.querySelector<HTMLButtonElement>('button.cancel')!.focus();
  }

  private emit(name: 'confirm' | 'cancel'): void {
    this.dispatchEvent(new CustomEvent(name));
  }

  override render() {
    return html`<dialog
      role="alertdialog"
      aria-labelledby="confirm-title"
      @cancel=${() => this.emit('cancel')}
      @keydown=${keepTabWithin}
    >
      <h2 id="confirm-title">${this.heading}</h2>
      <blockquote>${this.text}</blockquote>
      ${this.detail ? html`<p>${this.detail}</p>` : nothing}
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <div class="buttons">
        <button class="cancel" @click=${() => this.emit('cancel')}>Cancel</button>
        <button class=${this.danger ? 'danger' : 'primary'} ?disabled=${this.busy} @click=${() => this.emit('confirm')}>
          ${this.confirmLabel}
        </button>
      </div>
    </dialog>`;
  }
}
