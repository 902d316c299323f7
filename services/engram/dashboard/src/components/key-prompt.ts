import { html, LitElement, nothing } from 'lit';

/** Asks for the API key; the shell checks it against the server and keeps it for this tab only. */
export class KeyPrompt extends LitElement {
  static override properties = { error: {} };
  declare error: string;

  constructor() {
    super();
    this.error = '';
  }

  override createRenderRoot() {
    return this;
  }

  private submit(event: SubmitEvent): void {
    event.preventDefault();
    const input = this.querySelector<HTMLInputElement>('#api-key')!;
    const key = input.value.trim();
    if (key) this.dispatchEvent(new CustomEvent('key-entered', { detail: key, bubbles: true }));
  }

  override render() {
    return html`<main class="login">
      <form class="card" @submit=${this.submit}>
        <h1>Engram</h1>
        <p>
          Enter an API key: the server's <code>MCP_API_KEY</code>, or a key made on the Access page or with
          <code>engram keys create</code>. It is kept in this browser tab only.
        </p>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autocomplete="current-password"
          required
          autofocus
          aria-describedby=${this.error ? 'key-error' : nothing}
        />
        ${this.error ? html`<p id="key-error" class="error" role="alert">${this.error}</p>` : nothing}
        <button type="submit" class="primary">Sign in</button>
      </form>
    </main>`;
  }
}
