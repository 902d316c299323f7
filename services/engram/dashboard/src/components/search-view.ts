import { html, nothing, PropertyValues } from 'lit';
import { canWrite, SearchHit } from '../api';
import { addressArrived, addressArrivedAgain, keepInAddress } from '../address-query';
import { parseTags } from '../format';
import { ReloadingView } from './reloading-view';

const MODES = [
  { value: 'hybrid', label: 'Hybrid' },
  { value: 'semantic', label: 'Semantic' },
  { value: 'keyword', label: 'Keyword' },
];
const LIMITS = ['10', '25', '50'];
/** The fields chosen from a list, and what each may be; the first is the default. */
const CHOICES: Record<string, string[]> = { mode: MODES.map((mode) => mode.value), limit: LIMITS };

/**
 * Drops a listed field whose value is none of its choices (an address mistyped, or from an older version): the
 * search runs with the default, which the form shows, rather than asking the server for what it refuses.
 * True when one was dropped.
 */
function dropUnknownChoices(fields: URLSearchParams): boolean {
  const unknown = Object.keys(CHOICES).filter((name) => fields.has(name) && !CHOICES[name].includes(fields.get(name)!));
  for (const name of unknown) fields.delete(name);
  return unknown.length > 0;
}

/** The API's search request for the form's fields (tags comma-separated, as typed). */
function searchRequest(fields: URLSearchParams): Record<string, unknown> {
  const request: Record<string, unknown> = {
    query: fields.get('query'),
    mode: fields.get('mode') ?? CHOICES.mode[0],
    limit: Number(fields.get('limit') ?? CHOICES.limit[0]),
  };
  const tags = parseTags(fields.get('tags') ?? '');
  if (tags.length > 0) request.tags = tags;
  for (const name of ['memory_type', 'time_expr']) if (fields.has(name)) request[name] = fields.get(name);
  if (fields.has('min_score')) request.min_score = Number(fields.get('min_score'));
  return request;
}

/**
 * Hybrid (or semantic / keyword) search with tag, type and time filters; every hit shows its scores.
 * Results under the minimum score are left out; the field starts at the server's default floor, and it and
 * Search wait for it.
 */
export class SearchView extends ReloadingView {
  static override properties = {
    ...ReloadingView.properties,
    address: { attribute: false },
    visit: { attribute: false },
    fields: { state: true },
    hits: { state: true },
    belowFloor: { state: true },
    minScore: { state: true },
  };
  /** The search kept in the address (`#/search?query=…`): the form's fields, as submitted. */
  declare address: string;
  /** Bumped each time the page's address changes (see addressArrived). */
  declare visit: number;
  /** The fields of the search shown, filled in the form. */
  declare fields: URLSearchParams;
  declare hits: SearchHit[] | undefined;
  /** Results the minimum score left out, offered with a way to see them. */
  declare belowFloor: number | undefined;
  declare minScore: number | undefined;
  private request: Record<string, unknown> | undefined;

  constructor() {
    super();
    this.address = '';
    this.fields = new URLSearchParams();
  }

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

  /**
   * Back, Forward or a reload brought a search in the address: it is run again as it was submitted, but for a
   * mode or result count the form has no choice for, which gives way to the default in the address too.
   */
  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!addressArrived(changed)) return;
    const fields = new URLSearchParams(this.address);
    if (dropUnknownChoices(fields)) keepInAddress('search', fields);
    this.show(fields);
  }

  protected override updated(changed: PropertyValues<this>): void {
    super.updated(changed);
    if (addressArrivedAgain(changed)) void this.reload();
  }

  private async submit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const fields = new URLSearchParams();
    for (const [name, value] of new FormData(event.target as HTMLFormElement)) {
      const text = String(value).trim();
      if (text) fields.set(name, text);
    }
    await this.search(fields);
  }

  /** Runs the last search again without the minimum score, so the matches it left out show. */
  private async showWeaker(): Promise<void> {
    if (!this.request) return;
    const fields = new URLSearchParams(this.fields);
    fields.set('min_score', '0');
    await this.search(fields);
  }

  private async search(fields: URLSearchParams): Promise<void> {
    keepInAddress('search', fields);
    this.show(fields);
    await this.reload();
  }

  /** Fills the form with `fields` and makes them the search to run; no query, no search. */
  private show(fields: URLSearchParams): void {
    this.fields = fields;
    this.request = fields.get('query') ? searchRequest(fields) : undefined;
    if (this.request?.min_score !== undefined) this.minScore = this.request.min_score as number;
    if (!this.request) this.hits = undefined;
  }

  /** The choice shown for a listed field (set on each option: the list is rendered after the select's own value). */
  private chosen(name: keyof typeof CHOICES): string {
    return this.fields.get(name) ?? CHOICES[name][0];
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
          >Query
          <input
            name="query"
            type="search"
            required
            placeholder="which database did we pick?"
            .value=${this.fields.get('query') ?? ''}
        /></label>
        <label
          >Mode
          <select name="mode">
            ${MODES.map(
              (mode) =>
                html`<option value=${mode.value} .selected=${this.chosen('mode') === mode.value}>
                  ${mode.label}
                </option>`,
            )}
          </select></label
        >
        <label>Tags <input name="tags" placeholder="work, decision" .value=${this.fields.get('tags') ?? ''} /></label>
        <label
          >Type <input name="memory_type" placeholder="note" .value=${this.fields.get('memory_type') ?? ''}
        /></label>
        <label
          >When
          <input
            name="time_expr"
            placeholder="last 30 days, yesterday, march"
            .value=${this.fields.get('time_expr') ?? ''}
        /></label>
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
            ${LIMITS.map((limit) => html`<option .selected=${this.chosen('limit') === limit}>${limit}</option>`)}
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
