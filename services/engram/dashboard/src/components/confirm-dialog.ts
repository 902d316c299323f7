import { html, LitElement } from 'lit';
import { MemoryView } from '../api';

/** "Delete this memory?" as a modal dialog; Cancel has the focus, so Enter never deletes by accident. */
export class ConfirmDialog extends LitElement {
  static override properties = { memory: { attribute: false } };
  declare memory: MemoryView;

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
    return html`<dialog role="alertdialog" aria-labelledby="confirm-title" @cancel=${() => this.emit('cancel')}>
      <h2 id="confirm-title">Delete this memory?</h2>
      <blockquote>${this.memory.content.slice(0, 280)}</blockquote>
      <div class="buttons">
        <button class="cancel" @click=${() => this.emit('cancel')}>Cancel</button>
        <button class="danger" @click=${() => this.emit('confirm')}>Delete</button>
      </div>
    </dialog>`;
  }
}
