import { html, nothing } from 'lit';
import {
  AgentAnswer,
  AgentFileChange,
  AgentStatus,
  ApiError,
  canWrite,
  MemoryFileEntry,
  MemoryFileView,
  Transcript,
} from '../api';
import { counted, errorText, formatBytes, formatTime } from '../format';
import { ReloadingView } from './reloading-view';

const WIKI_LINK = /\[\[[^[\]\n]{1,300}\]\]/g;

/**
 * The memory agent: ask it (with privacy filters) and see its reply, turns and the files it changed
 * with their diffs; browse its markdown memory with [[links]] followed and backlinks shown; edit
 * `.filters`; read the kept transcripts (admins, when the server keeps them). Without a model endpoint
 * the panel says what to configure; the memory files can still be browsed.
 */
export class AgentView extends ReloadingView {
  static override properties = {
    ...ReloadingView.properties,
    file: { type: String },
    status: { state: true },
    files: { state: true },
    opened: { state: true },
    fileError: { state: true },
    filters: { state: true },
    filtersNotice: { state: true },
    transcripts: { state: true },
    answer: { state: true },
    askError: { state: true },
    asking: { state: true },
  };
  /** The file the route names (`#/agent/files/<path>`), '' for none. */
  declare file: string;
  declare status: AgentStatus | undefined;
  declare files: MemoryFileEntry[] | undefined;
  declare opened: MemoryFileView | undefined;
  declare fileError: string;
  declare filters: string | undefined;
  declare filtersNotice: string;
  declare transcripts: Transcript[] | undefined;
  declare answer: AgentAnswer | undefined;
  declare askError: string;
  declare asking: boolean;
  /**
   * Rules typed into the filters form and not saved yet: a reload (any memory change, another tab's save)
   * leaves them on screen rather than putting the stored rules over them.
   */
  private filtersEdited = false;

  constructor() {
    super();
    this.file = '';
    this.fileError = '';
    this.filtersNotice = '';
    this.askError = '';
    this.asking = false;
  }

  protected async load(): Promise<void> {
    const [status, files, filters] = await Promise.all([
      this.api.agentStatus(),
      this.api.agentFiles(),
      this.api.filters(),
    ]);
    this.status = status;
    this.files = files.files;
    if (!this.filtersEdited) this.filters = filters.content;
    this.transcripts =
      status.transcripts_kept && this.caller.admin ? (await this.api.transcripts()).transcripts : undefined;
    await this.openFile();
  }

  protected override clearResults(): void {
    this.status = undefined;
    this.files = undefined;
    this.opened = undefined;
  }

  protected override updated(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('file') && changed.get('file') !== undefined) void this.openFile();
    super.updated(changed as never);
  }

  private async openFile(): Promise<void> {
    this.fileError = '';
    const file = this.file;
    if (!file) {
      this.opened = undefined;
      return;
    }
    try {
      const opened = await this.api.agentFile(file);
      if (file === this.file) this.opened = opened; // else another file was chosen meanwhile: its answer shows
    } catch (error) {
      if (file !== this.file) return;
      this.opened = undefined;
      this.fileError = error instanceof ApiError && error.status === 404 ? `No file “${file}”.` : errorText(error);
    }
  }

  private async ask(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const question = String(data.get('question') ?? '').trim();
    const filters = String(data.get('filters') ?? '')
      .split('\n')
      .map((rule) => rule.trim())
      .filter(Boolean);
    if (!question) return;
    this.asking = true;
    this.askError = '';
    this.answer = undefined;
    try {
      this.answer = await this.api.askAgent(question, filters);
    } catch (error) {
      this.askError = errorText(error);
    } finally {
      this.asking = false;
    }
  }

  private async saveFilters(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const field = (event.target as HTMLFormElement).elements.namedItem('content') as HTMLTextAreaElement;
    const content = field.value;
    try {
      const saved = (await this.api.saveFilters(content)).content;
      // Typed on while the save was on its way: that text stays, still unsaved.
      this.filtersEdited = field.value !== content;
      if (!this.filtersEdited) this.filters = saved;
      this.filtersNotice = 'Saved: the agent applies these rules to every answer.';
    } catch (error) {
      this.filtersNotice = `Not saved: ${errorText(error)}`;
    }
  }

  override render() {
    return html`<section class="view" aria-labelledby="agent-title">
      <h1 id="agent-title">Agent</h1>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${
        this.status
          ? html`${this.renderAsk(this.status)} ${this.renderFiles()} ${this.renderFilters()}
            ${this.renderTranscripts()}`
          : this.error
            ? nothing
            : html`<p aria-busy="true">Loading…</p>`
      }
    </section>`;
  }

  private renderAsk(status: AgentStatus) {
    if (!status.endpoint.configured) {
      return html`<div class="card" data-agent-unconfigured>
        <h2>The memory agent is not set up</h2>
        <p>
          It needs a model endpoint serving the mem-agent model. Set <code>VLLM_HOST</code> (and <code>VLLM_PORT</code>,
          default 8000) for a vLLM server, <code>ENGRAM_AGENT_BASE_URL</code> (and <code>ENGRAM_AGENT_API_KEY</code>)
          for any OpenAI-compatible endpoint, or <code>OPENROUTER_API_KEY</code>, then restart Engram. The memory files
          below can be browsed meanwhile.
        </p>
      </div>`;
    }
    if (status.sandbox.checked && !status.sandbox.available) {
      return html`<div class="card" data-agent-no-sandbox>
        <h2>The memory agent cannot run here</h2>
        <p>No sandbox isolation works on this machine, so model-written code is not run:</p>
        <ul>
          ${(status.sandbox.problems ?? []).map((problem) => html`<li>${problem}</li>`)}
        </ul>
      </div>`;
    }
    if (!canWrite(this.caller)) {
      return html`<p class="card empty">Asking the agent needs a key with the write scope (it may change files).</p>`;
    }
    return html`<form class="card agent-ask" @submit=${this.ask}>
        <h2>Ask the agent</h2>
        <p class="meta">Model ${status.endpoint.model} (${status.endpoint.provider}). It may take a minute.</p>
        <label>Question or facts to remember <textarea name="question" rows="3" required></textarea></label>
        <label
          >Filters for this answer <span class="hint">(one rule per line, e.g. “do not reveal ages”)</span>
          <textarea name="filters" rows="2"></textarea>
        </label>
        <div class="form-actions">
          <button class="primary" type="submit" ?disabled=${this.asking}>${this.asking ? 'Asking…' : 'Ask'}</button>
        </div>
      </form>
      <div aria-live="polite">
        ${this.askError ? html`<p class="error" role="alert">${this.askError}</p>` : nothing}
        ${this.answer ? renderAnswer(this.answer) : nothing}
      </div>`;
  }

  private renderFiles() {
    const files = this.files ?? [];
    return html`<div class="agent-files">
      <nav class="card file-list" aria-label="Memory files">
        <h2>Memory files</h2>
        ${
          files.length === 0
            ? html`<p class="empty">No memory files yet.</p>`
            : html`<ul>
                ${files.map(
                  (file) =>
                    html`<li>
                      <a href=${fileHref(file.path)} aria-current=${file.path === this.opened?.path ? 'page' : nothing}
                        >${file.path}</a
                      >
                      <span class="meta">${formatBytes(file.size)}</span>
                    </li>`,
                )}
              </ul>`
        }
      </nav>
      <article class="card file-view" aria-labelledby="file-title">
        ${
          this.fileError
            ? html`<p class="error" role="alert">${this.fileError}</p>`
            : this.opened
              ? renderFile(this.opened)
              : html`<h2 id="file-title">Choose a file</h2>
                  <p class="empty">Open a file to read it; its [[links]] lead to the files they name.</p>`
        }
      </article>
    </div>`;
  }

  private renderFilters() {
    const writable = canWrite(this.caller);
    return html`<form class="card filters-form" @submit=${this.saveFilters}>
      <h2>Privacy filters (<code>.filters</code>)</h2>
      <p class="meta">Rules the agent follows in every answer, one per line (“- do not reveal e-mail addresses”).</p>
      <label
        ><span class="visually-hidden">Filter rules</span>
        <textarea
          name="content"
          rows="4"
          ?readonly=${!writable}
          .value=${this.filters ?? ''}
          @input=${() => (this.filtersEdited = true)}
        ></textarea>
      </label>
      ${this.filtersNotice ? html`<p role="status">${this.filtersNotice}</p>` : nothing}
      ${writable ? html`<div class="form-actions"><button type="submit">Save filters</button></div>` : nothing}
    </form>`;
  }

  private renderTranscripts() {
    if (this.transcripts === undefined) return nothing;
    return html`<div class="card">
      <h2>Transcripts</h2>
      ${
        this.transcripts.length === 0
          ? html`<p class="empty">None yet: each question's conversation with the model is kept here (the last 20).</p>`
          : html`<ul class="transcripts">
              ${[...this.transcripts].reverse().map(
                (transcript) =>
                  html`<li>
                    <details>
                      <summary>
                        ${formatTime(transcript.at)} · ${transcript.namespace} ·
                        ${counted(transcript.messages.length, 'message', 'messages')}
                      </summary>
                      ${transcript.messages.map(
                        (message) =>
                          html`<div class="transcript-message">
                            <strong>${message.role}</strong>
                            <pre>${message.content}</pre>
                          </div>`,
                      )}
                    </details>
                  </li>`,
              )}
            </ul>`
      }
    </div>`;
  }
}

function fileHref(path: string): string {
  return `#/agent/files/${path.split('/').map(encodeURIComponent).join('/')}`;
}

function renderAnswer(answer: AgentAnswer) {
  return html`<div class="card agent-answer">
    <h2>Reply</h2>
    <p class="reply">${answer.reply}</p>
    <p class="meta">
      ${answer.turns} ${answer.turns === 1 ? 'turn' : 'turns'} · ${answer.files_changed.length}
      ${answer.files_changed.length === 1 ? 'file' : 'files'} changed
      ${answer.redactions > 0 ? html` · ${answer.redactions} redacted by the filters` : nothing}
    </p>
    ${
      answer.files_changed.length > 0
        ? html`<h3>Files changed</h3>
            ${answer.files_changed.map(renderChange)}`
        : nothing
    }
  </div>`;
}

function renderChange(change: AgentFileChange) {
  return html`<details class="file-change" open>
    <summary><span class="badge change-${change.change}">${change.change}</span> ${change.path}</summary>
    ${change.change === 'deleted' ? nothing : html`<p><a href=${fileHref(change.path)}>Open ${change.path}</a></p>`}
    ${
      change.diff === null
        ? html`<p class="meta">The change is too large to show as a diff.</p>`
        : html`<pre class="diff" aria-label="Changes to ${change.path}">
${change.diff
              .split('\n')
              .filter((line, i, lines) => line !== '' || i < lines.length - 1)
              .map((line) => html`<span class=${diffClass(line)}>${line}</span> `)}</pre>`
    }
  </details>`;
}

function diffClass(line: string): string {
  if (line.startsWith('+++') || line.startsWith('---')) return 'diff-file';
  if (line.startsWith('@@')) return 'diff-hunk';
  if (line.startsWith('+')) return 'diff-add';
  if (line.startsWith('-')) return 'diff-del';
  return 'diff-same';
}

function renderFile(file: MemoryFileView) {
  const targets = new Map(file.links.map((link) => [link.link, link.target]));
  const parts: unknown[] = [];
  let last = 0;
  for (const match of file.content.matchAll(WIKI_LINK)) {
    parts.push(file.content.slice(last, match.index));
    const target = targets.get(match[0]);
    parts.push(
      target
        ? html`<a href=${fileHref(target)}>${match[0]}</a>`
        : html`<span class="missing-link" title="No file by that name">${match[0]}</span>`,
    );
    last = match.index + match[0].length;
  }
  parts.push(file.content.slice(last));
  return html`<h2 id="file-title">${file.path}</h2>
    <p class="meta">${formatBytes(file.size)} · changed ${formatTime(file.modified_at)}</p>
    <pre class="markdown">${parts}</pre>
    <h3>Linked from</h3>
    ${
      file.backlinks.length === 0
        ? html`<p class="empty">No file links here.</p>`
        : html`<ul class="backlinks">
            ${file.backlinks.map((path) => html`<li><a href=${fileHref(path)}>${path}</a></li>`)}
          </ul>`
    }`;
}
