import { html, nothing } from 'lit';
import { canWrite, SearchHit } from '../api';
import { parseTags } from '../format';
import { ReloadingView } from './reloading-view';

/**
 * Hybrid (or semantic / keyword) search with tag, type and time filters; every hit shows its scores.
 * Results under the minimum score are left out; the field starts at the server's default floor, and it and
 * Search wait for it.
 */
export class SearchView extends ReloadingView {
  static override properties = {
    ...ReloadingView.properties,
    hits: { state: true },
    belowFloor: { state: true },
    minScore: { state: true },
  };
  declare hits: SearchHit[] | undefined;
  /** Results the minimum score left out, offered with a way to see them. */
  declare belowFloor: number | undefined;
  declare minScore: number | undefined;
  private request: Record<string, unknown> | undefined;

  /**
   * The first load fetches the server's default floor (again after a failure); a live change re-runs the last
   * search, so deleted memories leave the results.
   */
  protected async load(): Promise<void> {
    this.minScore ??= (await this.api.status()).search.default_min_score;
    if (!this.request) return;
    const answer = await this.api.search(this.request);
    this.hits = answer.results;
    this.belowFloor = answer.below_floor;
  }

  protected override clearResults(): void {
    this.hits = undefined;
  }

  private async submit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const text = (name: string) => String(data.get(name) ?? '').trim();
    const request: Record<string, unknown> = { query: text('query'), mode: text('mode'), limit: Number(text('limit')) };
    const tags = parseTags(text('tags'));
    if (tags.length > 0) request.tags = tags;
    if (text('memory_type')) request.memory_type = text('memory_type');
    if (text('time_expr')) request.time_expr = text('time_expr');
    if (text('min_score')) request.min_score = this.minScore = Number(text('min_score'));
    this.request = request;
    await this.reload();
  }

  /** Runs the last search again without the minimum score, so the matches it left out show. */
  private async showWeaker(): Promise<void> {
    if (!this.request) return;
    this.request = { ...this.request, min_score: (this.minScore = 0) };
    await this.reload();
  }

  private belowFloorNote() {
    if (!this.belowFloor || !this.request?.min_score) return nothing;
    const matches = this.belowFloor === 1 ? '1 weaker match' : `${this.belowFloor} weaker matches`;
    return html`<p class="floor-note">
      ${matches} scored below ${String(this.request.min_score)}.
      <button type="button" @click=${this.showWeaker}>Show ${this.belowFloor === 1 ? 'it' : 'them'}</button>
    </p>`;
  }

  override render() {
    // Until the server's floor is known, a search would run without it, and the answer would overwrite a typed one.
    const floorKnown = this.minScore !== undefined;
    return html`<section class="view" aria-labelledby="search-title">
      <h1 id="search-title">Search</h1>
      <form class="search card" role="search" @submit=${this.submit}>
        <label class="wide"
          >Query <input name="query" type="search" required placeholder="which database did we pick?"
        /></label>
        <label
          >Mode
          <select name="mode">
            <option value="hybrid" selected>Hybrid</option>
            <option value="semantic">Semantic</option>
            <option value="keyword">Keyword</option>
          </select></label
        >
        <label>Tags <input name="tags" placeholder="work, decision" /></label>
        <label>Type <input name="memory_type" placeholder="note" /></label>
        <label>When <input name="time_expr" placeholder="last 30 days, yesterday, march" /></label>
        <label
          >Min. score
          <input
            name="min_score"
            type="number"
            min="0"
            max="1"
            step="0.01"
            .value=${floorKnown ? String(this.minScore) : ''}
            ?disabled=${!floorKnown}
            title="Results scoring lower (a 0-1 probability of relevance) are left out"
        /></label>
        <label
          >Results
          <select name="limit">
            <option>10</option>
            <option>25</option>
            <option>50</option>
          </select></label
        >
        <button type="submit" class="primary" ?disabled=${!floorKnown}>Search</button>
        ${floorKnown || this.error ? nothing : html`<p class="hint" aria-busy="true">Loading…</p>`}
      </form>
      <details class="score-help">
        <summary>What the scores mean</summary>
        <dl>
          <dt>score</dt>
          <dd>
            What the results are ranked by: the probability, from 0 to 1, that the memory is what the query looks for.
            The server's relevance model gives it from the cosine and BM25 below, the query's words and names the memory
            shares, and its dates (semantic search: the cosine alone; keyword search: BM25 and shared words). Min. score
            leaves out what scores lower. A server set to <code>weighted_average</code> or <code>rrf</code> fusion ranks
            by that fused value instead, and a reranker, when configured, by its own.
          </dd>
          <dt>cosine</dt>
          <dd>How close the meaning of the memory is to the query, from −1 to 1 (higher is closer).</dd>
          <dt>BM25</dt>
          <dd>
            Keyword relevance: higher when more of the query's words, and rarer ones, occur in the memory. Open-ended;
            “—” when no query word matched.
          </dd>
        </dl>
      </details>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${
        this.hits === undefined
          ? nothing
          : this.hits.length === 0
            ? html`<p class="empty card">
                  Nothing
                  found${this.request?.min_score ? html` scoring ${String(this.request.min_score)} or more` : ''}.
                </p>
                ${this.belowFloorNote()}`
            : html`<ol class="memory-list" aria-label="Search results, best first">
                  ${this.hits.map(
                    (hit) =>
                      html`<li>
                        <memory-card
                          .memory=${hit.memory}
                          .scores=${hit}
                          .canWrite=${canWrite(this.caller)}
                        ></memory-card>
                      </li>`,
                  )}
                </ol>
                ${this.belowFloorNote()}`
      }
    </section>`;
  }
}
