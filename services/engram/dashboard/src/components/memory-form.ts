import { html, LitElement, nothing } from 'lit';
import { MemoryDraft, MemoryView } from '../api';
import { parseTags } from '../format';
import { keepTabWithin } from './keep-tab-within';
import { ReturnFocus } from './return-focus';

/** Create or edit dialog: content, tags, type. Modal: the focus stays in it (keepTabWithin); Escape closes it. */
export class MemoryForm extends LitElement {
  static override properties = { memory: { attribute: false }, error: {}, busy: {} };
  declare memory: MemoryView | undefined;
  declare error: string;
  declare busy: boolean;

  constructor() {
    super();
    new ReturnFocus(this);
    this.error = '';
    this.busy = false;
  }

  override createRenderRoot() {
    return this;
  }

  override firstUpdated(): void {
    this.querySelector('dialog')!.showModal();
  }

  private submit(event: SubmitEvent): void {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const draft: MemoryDraft = {
      content: String(data.get('content') ?? ''),
      tags: parseTags(String(data.get('tags') ?? '')),
      memory_type: String(data.get('memory_type') ?? '').trim() || 'note',
    };
    if (!draft.content.trim()) {
      this.error = 'Content must not be empty.';
      return;
    }
    this.dispatchEvent(new CustomEvent('save', { detail: draft }));
  }

  private cancel(): void {
    this.dispatchEvent(new CustomEvent('cancel'));
  }

  override render() {
    const memory = this.memory;
    const title = memory ? 'Edit memory' : 'New memory';
    return html`<dialog aria-labelledby="memory-form-title" @cancel=${this.cancel} @keydown=${keepTabWithin}>
      <form @submit=${this.submit}>
        <h2 id="memory-form-title">${title}</h2>
        <label for="memory-content">Content</label>
        <textarea
          id="memory-content"
          name="content"
          rows="6"
          required
          autofocus
          .value=${memory?.content ?? ''}
        ></textarea>
        <label for="memory-tags">Tags <span class="hint">(comma-separated)</span></label>
        <input id="memory-tags" name="tags" .value=${memory?.tags.join(', ') ?? ''} />
        <label for="memory-type">Type</label>
        <input
          id="memory-type"
          name="memory_type"
          .value=${memory?.memory_type ?? 'note'}
          pattern="[A-Za-z][A-Za-z0-9_\\-]{0,63}"
          title="One word of letters, digits, _ and -, starting with a letter (at most 64), e.g. note or decision"
        />
        ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
        <div class="buttons">
          <button type="button" @click=${this.cancel}>Cancel</button>
          <button type="submit" class="primary" ?disabled=${this.busy}>${memory ? 'Save' : 'Create'}</button>
        </div>
      </form>
    </dialog>`;
  }
}
