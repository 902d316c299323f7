import { html, nothing } from 'lit';
import {
  ApiError,
  canWrite,
  CONFLICT_STATUSES,
  ConflictDecision,
  ConflictMemoryView,
  ConflictPage,
  ConflictStatus,
  ConflictView,
  JobView,
} from '../api';
import { errorText, formatScore, formatTime } from '../format';
import { outcomeOf } from './jobs-view';
import { pager } from './pager';
import { ReloadingView } from './reloading-view';

const PAGE_SIZE = 20;
const FINISHED = new Set(['completed', 'failed', 'cancelled']);
/** The running scan is re-read this often until it ends. */
const FOLLOW_MS = 1000;
const STATUS_LABELS: Record<ConflictStatus, string> = {
  open: 'Open',
  resolved: 'Resolved',
  dismissed: 'Dismissed',
  all: 'All',
};

interface Notice {
  text: string;
  error?: boolean;
  /** A memory the notice is about, linked from it. */
  hash?: string;
}

/**
 * Contradiction review: pairs of memories a scan found stating incompatible things, highest score first,
 * each with its evidence. Nothing changes until someone with the write scope decides: keep the newer or
 * the older (the other is superseded, its history kept), keep both, or dismiss; a decided pair is never
 * proposed again. A scan runs as a job, followed here until it ends.
 */
export class ConflictsView extends ReloadingView {
  static override properties = {
    ...ReloadingView.properties,
    data: { state: true },
    status: { state: true },
    page: { state: true },
    scan: { state: true },
    deciding: { state: true },
    notice: { state: true },
  };
  declare data: ConflictPage | undefined;
  declare status: ConflictStatus;
  declare page: number;
  /** The scan started here, while it runs and after it ends. */
  declare scan: JobView | undefined;
  /** The conflict whose decision is on its way (its buttons are disabled). */
  declare deciding: number | undefined;
  declare notice: Notice | undefined;
  private following: number | undefined;

  constructor() {
    super();
    this.status = 'open';
    this.page = 1;
  }

  override disconnectedCallback(): void {
    window.clearTimeout(this.following);
    super.disconnectedCallback();
  }

  protected async load(): Promise<void> {
    const data = await this.api.conflicts(this.status, this.page, PAGE_SIZE);
    if (data.conflicts.length === 0 && this.page > 1 && data.total > 0) {
      this.page = Math.ceil(data.total / PAGE_SIZE); // the last page emptied (decisions): show the new last page
      return this.load();
    }
    this.data = data;
  }

  protected override clearResults(): void {
    this.data = undefined;
  }

  private filter(event: Event): void {
    this.status = (event.target as HTMLSelectElement).value as ConflictStatus;
    this.page = 1;
    this.notice = undefined;
    void this.reload();
  }

  private go(page: number): void {
    this.page = page;
    void this.reload();
  }

  private async startScan(): Promise<void> {
    this.notice = undefined;
    try {
      const queued = await this.api.scanConflicts();
      this.scan = queued.job;
      await this.follow(queued.job_id);
    } catch (error) {
      this.notice = { text: `The scan did not start: ${errorText(error)}`, error: true };
    }
  }

  private async follow(id: string): Promise<void> {
    window.clearTimeout(this.following);
    try {
      this.scan = await this.api.conflictScan(id);
    } catch (error) {
      this.scan = undefined;
      this.notice = { text: `Lost track of the scan: ${errorText(error)}`, error: true };
      return;
    }
    if (!FINISHED.has(this.scan.state)) {
      this.following = window.setTimeout(() => void this.follow(id), FOLLOW_MS);
      return;
    }
    this.notice =
      this.scan.state === 'completed'
        ? { text: `Scan done: ${outcomeOf(this.scan)}.` }
        : { text: `The scan ${this.scan.state}: ${outcomeOf(this.scan)}`, error: true };
    await this.reload();
  }

  private async decide(conflict: ConflictView, decision: ConflictDecision, done: Notice): Promise<void> {
    this.deciding = conflict.id;
    try {
      const answer = await this.api.resolveConflict(decision);
      this.notice = answer.unchanged ? { text: 'Already decided that way: nothing changed.' } : done;
    } catch (error) {
      this.notice = {
        text:
          error instanceof ApiError && error.status === 409
            ? `Not changed: this conflict was already decided otherwise (${decidedAs(error)}). The list is reloaded.`
            : `Not decided: ${errorText(error)}`,
        error: true,
      };
    } finally {
      this.deciding = undefined;
    }
    await this.reload();
  }

  private keep(conflict: ConflictView, kept: ConflictMemoryView, other: ConflictMemoryView): Promise<void> {
    return this.decide(
      conflict,
      { conflict_id: conflict.id, action: 'supersede', keep: kept.content_hash },
      {
        text: `Kept “${excerpt(kept)}”; “${excerpt(other)}” is superseded by it (it stays in the history).`,
        hash: kept.content_hash,
      },
    );
  }

  private keepBoth(conflict: ConflictView): Promise<void> {
    return this.decide(
      conflict,
      { conflict_id: conflict.id, action: 'keep_both' },
      {
        text: `Kept both “${excerpt(conflict.older)}” and “${excerpt(conflict.newer)}”; they will not be proposed again.`,
      },
    );
  }

  private dismiss(conflict: ConflictView): Promise<void> {
    return this.decide(
      conflict,
      { conflict_id: conflict.id, action: 'dismiss' },
      { text: `Dismissed: “${excerpt(conflict.older)}” and “${excerpt(conflict.newer)}” will not be proposed again.` },
    );
  }

  override render() {
    const writable = canWrite(this.caller);
    const scanning = this.scan !== undefined && !FINISHED.has(this.scan.state);
    return html`<section class="view" aria-labelledby="conflicts-title">
      <div class="view-head">
        <h1 id="conflicts-title">Conflicts</h1>
        ${
          writable
            ? html`<button class="primary" ?disabled=${scanning} @click=${() => this.startScan()}>
                ${scanning ? 'Scanning…' : 'Scan for conflicts'}
              </button>`
            : nothing
        }
      </div>
      <p class="meta">
        Pairs of memories that seem to say incompatible things about the same subject, highest score first. Nothing
        changes until someone decides.
      </p>
      <form class="filters" @change=${this.filter} @submit=${(event: Event) => event.preventDefault()}>
        <label
          >Status
          <select name="status">
            ${CONFLICT_STATUSES.map(
              (status) =>
                html`<option value=${status} ?selected=${status === this.status}>${STATUS_LABELS[status]}</option>`,
            )}
          </select></label
        >
      </form>
      <div role="status" aria-live="polite" class="job-status">
        ${scanning ? renderScan(this.scan!) : nothing}
        ${
          this.notice && !this.notice.error
            ? html`<p class="notice">
                ${this.notice.text}
                ${this.notice.hash ? html`<a href="#/memory/${this.notice.hash}">Open the kept memory</a>` : nothing}
              </p>`
            : nothing
        }
      </div>
      ${this.notice?.error ? html`<p class="error" role="alert">${this.notice.text}</p>` : nothing}
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing} ${this.renderList(writable)}
    </section>`;
  }

  private renderList(writable: boolean) {
    const data = this.data;
    if (data === undefined) return this.error ? nothing : html`<p aria-busy="true">Loading…</p>`;
    if (data.conflicts.length === 0) return this.renderEmpty(writable);
    return html`<p class="meta">
        ${data.total.toLocaleString()}
        ${this.status === 'all' ? '' : `${this.status} `}${data.total === 1 ? 'conflict' : 'conflicts'}
      </p>
      <ol class="memory-list conflict-list" aria-label="Conflicts, highest score first">
        ${data.conflicts.map((conflict) => html`<li>${this.renderConflict(conflict, writable)}</li>`)}
      </ol>
      ${pager(
        { page: data.page, pages: Math.ceil(data.total / data.page_size), hasNext: data.has_more },
        () => this.go(data.page - 1),
        () => this.go(data.page + 1),
      )}`;
  }

  private renderEmpty(writable: boolean) {
    if (this.status !== 'open') {
      return html`<p class="empty card">No ${this.status === 'all' ? '' : `${this.status} `}conflicts.</p>`;
    }
    return html`<div class="empty card">
      <p>No open conflicts.</p>
      <p>
        A scan compares each memory with its nearest neighbours and proposes pairs that state incompatible things about
        the same subject — “lives in Berlin” and later “moved to Porto” — with the evidence it saw and a score. For each
        pair you keep the newer or the older memory (the other is superseded: hidden from search, kept in the history),
        keep both, or dismiss the proposal; a decided pair is never proposed again.
        ${writable ? 'Scan for conflicts to look for some.' : 'A key with the write scope can start a scan.'}
      </p>
    </div>`;
  }

  private renderConflict(conflict: ConflictView, writable: boolean) {
    const titleId = `conflict-${conflict.id}`;
    const busy = this.deciding === conflict.id;
    const [older, newer] = [excerpt(conflict.older), excerpt(conflict.newer)];
    return html`<article class="conflict" data-conflict=${conflict.id} aria-labelledby=${titleId}>
      <header>
        <h2 id=${titleId}>Conflict ${conflict.id}</h2>
        <span class="badge" title="How sure the detector is that these contradict, 0 to 1"
          >score ${formatScore(conflict.score)}</span
        >
        ${conflict.status === 'open' ? nothing : html`<span class="badge">${decisionOf(conflict)}</span>`}
        <span class="meta"
          >proposed <time datetime=${conflict.created_at_iso}>${formatTime(conflict.created_at_iso)}</time>${
            conflict.resolved_at_iso
              ? html` · decided
                  <time datetime=${conflict.resolved_at_iso}>${formatTime(conflict.resolved_at_iso)}</time>`
              : nothing
          }</span
        >
      </header>
      <div class="conflict-pair">
        ${renderSide(conflict, 'older', conflict.older)} ${renderSide(conflict, 'newer', conflict.newer)}
      </div>
      <ul class="evidence" aria-label="Evidence for conflict ${conflict.id}">
        ${conflict.evidence.map((line) => html`<li>${line}</li>`)}
        ${
          conflict.judge
            ? html`<li class="judge">
                LLM judge (${conflict.judge.model}):
                ${conflict.judge.verdict}${conflict.judge.reason ? ` — ${conflict.judge.reason}` : ''}
              </li>`
            : nothing
        }
      </ul>
      ${
        writable && conflict.status === 'open'
          ? html`<div class="actions">
              <button
                class="primary"
                ?disabled=${busy}
                @click=${() => this.keep(conflict, conflict.newer, conflict.older)}
                aria-label="Keep newer: “${newer}”"
              >
                Keep newer
              </button>
              <button
                ?disabled=${busy}
                @click=${() => this.keep(conflict, conflict.older, conflict.newer)}
                aria-label="Keep older: “${older}”"
              >
                Keep older
              </button>
              <button
                ?disabled=${busy}
                @click=${() => this.keepBoth(conflict)}
                aria-label="Keep both “${older}” and “${newer}”"
              >
                Keep both
              </button>
              <button
                ?disabled=${busy}
                @click=${() => this.dismiss(conflict)}
                aria-label="Dismiss the conflict between “${older}” and “${newer}”"
              >
                Dismiss
              </button>
            </div>`
          : nothing
      }
    </article>`;
  }
}

function renderSide(conflict: ConflictView, side: 'older' | 'newer', memory: ConflictMemoryView) {
  const headingId = `conflict-${conflict.id}-${side}`;
  return html`<section
    class="memory conflict-side"
    data-side=${side}
    data-hash=${memory.content_hash}
    aria-labelledby=${headingId}
  >
    <h3 id=${headingId}>${side === 'older' ? 'Older' : 'Newer'}</h3>
    <p class="content">${memory.content}</p>
    <footer>
      <time datetime=${memory.created_at_iso}>${formatTime(memory.created_at_iso)}</time>
      <span class="type">${memory.memory_type}</span>
      ${memory.tags.map((tag) => html`<span class="tag">${tag}</span>`)}
      ${conflict.kept === memory.content_hash ? html`<span class="badge state-completed">kept</span>` : nothing}
      ${memory.superseded ? html`<span class="badge">superseded</span>` : nothing}
      ${memory.deleted_at_iso ? html`<span class="badge">in the trash</span>` : nothing}
      <span class="actions">
        <a class="button" href="#/memory/${memory.content_hash}" aria-label="Open “${excerpt(memory)}”">Open</a>
      </span>
    </footer>
  </section>`;
}

function renderScan(job: JobView) {
  return html`<div class="running" data-job=${job.id}>
    <span>Scanning: ${job.stage ?? job.state}</span>
    <progress max="100" value=${job.progress} aria-label="Conflict scan progress"></progress>
    <span>${job.progress}%</span>
  </div>`;
}

/** How a decided conflict was decided, for its badge. */
function decisionOf(conflict: ConflictView): string {
  if (conflict.resolution === 'supersede') {
    return conflict.kept === conflict.newer.content_hash ? 'kept newer' : 'kept older';
  }
  if (conflict.resolution === 'judge_dismissed') return 'dismissed by the judge';
  return conflict.resolution === 'keep_both' ? 'kept both' : 'dismissed';
}

/** The decision a 409 names (`supersede` with the hash kept, `keep_both`, `dismiss`), in words. */
function decidedAs(error: ApiError): string {
  const resolution = String((error.details as { resolution?: string } | undefined)?.resolution ?? '');
  if (resolution.startsWith('supersede')) return 'one memory was kept';
  return resolution === 'keep_both' ? 'both were kept' : resolution === 'dismiss' ? 'dismissed' : 'decided';
}

function excerpt(memory: ConflictMemoryView): string {
  return memory.content.slice(0, 40);
}
