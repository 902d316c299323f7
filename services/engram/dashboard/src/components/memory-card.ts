import { html, LitElement, nothing } from 'lit';
import { MemoryView } from '../api';
import { formatScore, formatTime } from '../format';

export interface HitScores {
  score: number;
  similarity_score: number | null;
  keyword_score: number | null;
}

/**
 * One memory with a link to its page and, for keys that may write, its actions; edit and delete bubble
 * up to the shell, which owns the dialogs.
 */
export class MemoryCard extends LitElement {
  static override properties = {
    memory: { attribute: false },
    scores: { attribute: false },
    canWrite: { attribute: false },
  };
  declare memory: MemoryView;
  declare scores: HitScores | undefined;
  declare canWrite: boolean;

  constructor() {
    super();
    this.canWrite = true;
  }

  override createRenderRoot() {
    return this;
  }

  private emit(name: 'memory-edit' | 'memory-delete'): void {
    this.dispatchEvent(new CustomEvent(name, { detail: this.memory, bubbles: true }));
  }

  override render() {
    const memory = this.memory;
    const label = memory.content.slice(0, 40);
    return html`<article class="memory" data-hash=${memory.content_hash}>
      <p class="content">${memory.content}</p>
      ${
        this.scores
          ? html`<p class="scores">
              <abbr title="What the results are ranked by (see “What the scores mean”)">score</abbr>
              <strong>${formatScore(this.scores.score)}</strong> ·
              <abbr title="Cosine similarity of the meaning of query and memory, from -1 to 1">cosine</abbr>
              ${formatScore(this.scores.similarity_score)} ·
              <abbr title="Keyword relevance (BM25): higher when more, rarer query words occur; — when no word matched"
                >BM25</abbr
              >
              ${formatScore(this.scores.keyword_score)}
            </p>`
          : nothing
      }
      <footer>
        <span class="type">${memory.memory_type}</span>
        ${memory.tags.map((tag) => html`<span class="tag">${tag}</span>`)}
        <time datetime=${memory.created_at_iso}>${formatTime(memory.created_at_iso)}</time>
        <span class="actions">
          <a class="button" href="#/memory/${memory.content_hash}" aria-label="Open “${label}”">Open</a>
          ${
            this.canWrite
              ? html`<button @click=${() => this.emit('memory-edit')} aria-label="Edit “${label}”">Edit</button>
                  <button class="danger" @click=${() => this.emit('memory-delete')} aria-label="Delete “${label}”">
                    Delete
                  </button>`
              : nothing
          }
        </span>
      </footer>
    </article>`;
  }
}
