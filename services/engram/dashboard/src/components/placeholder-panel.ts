import { html, LitElement } from 'lit';

/** A section whose feature arrives later: labelled, so the navigation already has its place. */
export class PlaceholderPanel extends LitElement {
  static override properties = { heading: {}, text: {} };
  declare heading: string;
  declare text: string;

  override createRenderRoot() {
    return this;
  }

  override render() {
    return html`<section class="view placeholder" aria-labelledby="placeholder-title">
      <h1 id="placeholder-title">${this.heading}</h1>
      <div class="card empty">
        <p><strong>Not available yet.</strong></p>
        <p>${this.text}</p>
      </div>
    </section>`;
  }
}
