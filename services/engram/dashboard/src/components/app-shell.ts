import { html, LitElement, nothing } from 'lit';
import { EngramEvent } from '../../../src/events/engram-event';
import { ActivityLine, activityFrom, addToActivity, MAX_ACTIVITY } from '../activity-feed';
import { Caller, EngramApi, MemoryDraft, MemoryView, serverIsOpen, Unauthorized } from '../api';
import { errorText } from '../format';
import { LiveEvents, LiveState } from '../live-events';
import { session } from '../session';
import { focusHeadingOf } from './return-focus';

const ROUTES = [
  { id: 'overview', label: 'Overview' },
  { id: 'memories', label: 'Memories' },
  { id: 'search', label: 'Search' },
  { id: 'conflicts', label: 'Conflicts' },
  { id: 'trash', label: 'Trash' },
  { id: 'activity', label: 'Activity' },
  { id: 'jobs', label: 'Jobs & backups' },
  { id: 'agent', label: 'Agent' },
  { id: 'access', label: 'Access' },
] as const;
/** `memory` is not in the navigation: `#/memory/<hash>` is where links to one memory land. */
type Route = (typeof ROUTES)[number]['id'] | 'memory';
/** Routes whose view keeps what it was asked for in the address (`#/search?query=…`, address-query.ts). */
const ADDRESSED_ROUTES = new Set<Route>(['memories', 'search', 'trash']);

/** Events that change what the jobs panel shows. */
const JOB_EVENTS = new Set(['job_queued', 'job_progress', 'job_completed', 'job_failed', 'backup_created']);
/** Events after which every memory view reloads (a restore or reindex replaces the data wholesale). */
const WHOLESALE_EVENTS = new Set(['restore_completed', 'reindex_completed']);

/** The page: key prompt, navigation, who is signed in, the live connection, and the memory dialogs. */
export class AppShell extends LitElement {
  static override properties = {
    api: { state: true },
    caller: { state: true },
    route: { state: true },
    routeArgument: { state: true },
    visit: { state: true },
    live: { state: true },
    activity: { state: true },
    changes: { state: true },
    jobChanges: { state: true },
    scansDone: { state: true },
    editing: { state: true },
    deleting: { state: true },
    loginError: { state: true },
    checking: { state: true },
    announcement: { state: true },
  };

  declare api: EngramApi | undefined;
  declare caller: Caller | undefined;
  declare route: Route;
  /**
   * The memory's hash (`#/memory/<hash>`), the agent file's path (`#/agent/files/<path>`), or what the memory
   * list, search or trash was asked for (`#/memories?tag=…`, `#/search?query=…`, `#/trash?page=2`).
   */
  declare routeArgument: string;
  /** Bumped on every change of the address, so a view shown again from its link starts over (addressArrived). */
  declare visit: number;
  declare live: LiveState;
  /** Newest first, one line per job: the server's kept events at sign-in, then each live one. */
  declare activity: ActivityLine[];
  /** Bumped on every memory event, so the views showing memories reload. */
  declare changes: number;
  /** Bumped on job events, so the jobs panel reloads. */
  declare jobChanges: number;
  /** Bumped when a conflict scan ends (started here or elsewhere), so the conflicts view reloads. */
  declare scansDone: number;
  declare editing: MemoryView | 'new' | undefined;
  declare deleting: MemoryView | undefined;
  declare loginError: string;
  declare checking: boolean;
  declare announcement: string;
  private events: LiveEvents | undefined;
  /** The stream has been live since sign-in, so the next "live" is a reconnection. */
  private wasLive = false;

  constructor() {
    super();
    [this.route, this.routeArgument] = routeFromHash();
    this.visit = 0;
    this.live = 'offline';
    this.activity = [];
    this.changes = 0;
    this.jobChanges = 0;
    this.scansDone = 0;
    this.loginError = '';
    this.checking = true;
    this.announcement = '';
  }

  override createRenderRoot() {
    return this; // light DOM: one stylesheet styles everything
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.onHashChange);
    void this.restoreSession();
  }

  override disconnectedCallback(): void {
    window.removeEventListener('hashchange', this.onHashChange);
    this.events?.stop();
    super.disconnectedCallback();
  }

  /**
   * Another view (a link, Back or Forward) takes the focus to its heading, as a page load would take a screen
   * reader to the top: the control that had it is gone or belongs to the view left. Another file of the agent's
   * opens in place beside its link, which keeps the focus.
   */
  private onHashChange = async () => {
    const before = this.route;
    [this.route, this.routeArgument] = routeFromHash();
    this.visit++;
    if (this.route === before && this.route !== 'memory') return;
    await this.updateComplete;
    await (this.querySelector('main > *') as Partial<LitElement> | null)?.updateComplete;
    focusHeadingOf(this.querySelector('main'));
  };

  /** The skip link: the address keeps its route (a `#main` would be read as a route of no view). */
  private skipToMain(event: Event): void {
    event.preventDefault();
    this.querySelector<HTMLElement>('main')!.focus();
  }

  private async restoreSession(): Promise<void> {
    try {
      const saved = session.load();
      if (saved) await this.signIn(saved);
      else if (await serverIsOpen()) await this.start(new EngramApi(undefined));
    } catch {
      // stay on the prompt
    } finally {
      this.checking = false;
    }
  }

  private async signIn(key: string): Promise<void> {
    const api = new EngramApi(key);
    try {
      await this.start(api);
    } catch (error) {
      // Only a refused key is forgotten: a server that is away will take it again once it is back.
      if (error instanceof Unauthorized) session.clear();
      this.loginError =
        error instanceof Unauthorized ? 'That key was refused. Check it and try again.' : errorText(error);
      return;
    }
    session.save(key);
    this.loginError = '';
  }

  /** Who the key is, the kept history of events, then the live stream from where that history ends. */
  private async start(api: EngramApi): Promise<void> {
    const [caller, recent] = await Promise.all([api.whoami(), api.recentEvents(MAX_ACTIVITY)]);
    this.caller = caller;
    this.api = api;
    this.activity = activityFrom(recent.events);
    this.events?.stop();
    this.wasLive = false;
    this.events = new LiveEvents(
      api,
      {
        onEvent: (event) => this.onLiveEvent(event),
        onGap: () => this.changes++,
        onState: (state) => this.onLiveState(state),
      },
      String(recent.last_event_id),
    );
    this.events.start();
  }

  /** Signs in with another key (the first one created on a keyless server); every panel starts afresh with it. */
  private async switchKey(key: string): Promise<void> {
    this.checking = true;
    this.signOut();
    await this.signIn(key);
    this.checking = false;
  }

  private signOut(): void {
    this.events?.stop();
    session.clear();
    this.api = undefined;
    this.caller = undefined;
    this.activity = [];
  }

  /**
   * Back on the stream after losing it: the open panel reloads, since what it last asked for may have failed
   * while the server was away (the replay brings back missed events, not failed requests).
   */
  private onLiveState(state: LiveState): void {
    if (state === 'live' && this.wasLive) {
      this.changes++;
      this.jobChanges++;
    }
    if (state === 'live') this.wasLive = true;
    this.live = state;
  }

  private onLiveEvent(event: EngramEvent): void {
    this.activity = addToActivity(this.activity, event);
    if (event.type.startsWith('memory_') || WHOLESALE_EVENTS.has(event.type)) this.changes++;
    if (JOB_EVENTS.has(event.type) || WHOLESALE_EVENTS.has(event.type)) this.jobChanges++;
    if (event.type === 'job_completed' && event.payload.name === 'conflict-scan') this.scansDone++;
    if (event.type === 'job_progress') return; // progress is shown where the job is, not read aloud
    const preview = event.payload.preview;
    this.announcement = `${event.type.replace(/_/g, ' ')}${typeof preview === 'string' ? `: ${preview}` : ''}`;
  }

  private async save(draft: MemoryDraft): Promise<void> {
    const form = this.querySelector('memory-form') as HTMLElement & { error: string; busy: boolean };
    form.busy = true;
    try {
      if (this.editing === 'new') await this.api!.create(draft);
      else {
        const before = this.editing!.content_hash;
        this.followEdit(before, (await this.api!.update(before, draft)).memory);
      }
      this.editing = undefined;
      this.changes++;
    } catch (error) {
      form.error = errorText(error);
    } finally {
      form.busy = false;
    }
  }

  /** A memory's hash is its content's: its page moves with an edit of the text (in place, not a new step back). */
  private followEdit(oldHash: string, memory: MemoryView): void {
    if (this.route !== 'memory' || this.routeArgument !== oldHash || memory.content_hash === oldHash) return;
    history.replaceState(null, '', `#/memory/${memory.content_hash}`);
    this.routeArgument = memory.content_hash;
  }

  /** The dialog stays open until the delete is done, and says so there when it fails. */
  private async confirmDelete(): Promise<void> {
    const dialog = this.querySelector('confirm-dialog') as HTMLElement & { error: string; busy: boolean };
    dialog.busy = true;
    try {
      await this.api!.remove(this.deleting!.content_hash);
      this.deleting = undefined;
      this.changes++;
    } catch (error) {
      dialog.error = `Not deleted: ${errorText(error)}`;
    } finally {
      dialog.busy = false;
    }
  }

  override render() {
    if (this.checking) return html`<p class="boot">Loading Engram…</p>`;
    if (!this.api || !this.caller) {
      return html`<key-prompt
        .error=${this.loginError}
        @key-entered=${(event: CustomEvent<string>) => this.signIn(event.detail)}
      ></key-prompt>`;
    }
    return html`
      <a class="skip-link" href="#main" @click=${this.skipToMain}>Skip to main content</a>
      <header class="topbar">
        <a class="brand" href="#/overview">Engram</a>
        <span class="signed-in" data-caller>${signedInAs(this.caller)}</span>
        <span class="live live-${this.live}" role="status">${liveLabel(this.live)}</span>
        ${
          this.caller.kind === 'anonymous'
            ? html`<button class="link" @click=${() => this.signOut()}>Sign in with a key</button>`
            : html`<button class="link" @click=${() => this.signOut()}>Sign out</button>`
        }
      </header>
      <div class="layout">
        <nav aria-label="Sections">
          ${ROUTES.map(
            (route) =>
              html`<a href="#/${route.id}" aria-current=${route.id === this.route ? 'page' : nothing}
                >${route.label}</a
              >`,
          )}
        </nav>
        <main
          id="main"
          tabindex="-1"
          @memory-edit=${(event: CustomEvent<MemoryView>) => (this.editing = event.detail)}
          @memory-delete=${(event: CustomEvent<MemoryView>) => (this.deleting = event.detail)}
          @memory-new=${() => (this.editing = 'new')}
          @sign-in=${(event: CustomEvent<string>) => this.switchKey(event.detail)}
        >
          ${this.renderRoute()}
        </main>
      </div>
      <div class="visually-hidden" aria-live="polite">${this.announcement}</div>
      ${
        this.editing
          ? html`<memory-form
              .memory=${this.editing === 'new' ? undefined : this.editing}
              @save=${(event: CustomEvent<MemoryDraft>) => this.save(event.detail)}
              @cancel=${() => (this.editing = undefined)}
            ></memory-form>`
          : nothing
      }
      ${
        this.deleting
          ? html`<confirm-dialog
              .heading=${'Delete this memory?'}
              .text=${this.deleting.content.slice(0, 280)}
              .detail=${'It goes to the trash, from where it can be restored.'}
              .confirmLabel=${'Delete'}
              @confirm=${() => this.confirmDelete()}
              @cancel=${() => (this.deleting = undefined)}
            ></confirm-dialog>`
          : nothing
      }
    `;
  }

  private renderRoute() {
    const { api, caller, changes } = this;
    switch (this.route) {
      case 'overview':
        return html`<overview-view .api=${api} .caller=${caller} .changes=${changes}></overview-view>`;
      case 'memories':
        return html`<memories-view
          .api=${api}
          .caller=${caller}
          .changes=${changes}
          .address=${this.routeArgument}
          .visit=${this.visit}
        ></memories-view>`;
      case 'search':
        return html`<search-view
          .api=${api}
          .caller=${caller}
          .changes=${changes}
          .address=${this.routeArgument}
          .visit=${this.visit}
        ></search-view>`;
      case 'trash':
        return html`<trash-view
          .api=${api}
          .caller=${caller}
          .changes=${changes}
          .address=${this.routeArgument}
          .visit=${this.visit}
        ></trash-view>`;
      case 'conflicts':
        return html`<conflicts-view
          .api=${api}
          .caller=${caller}
          .changes=${changes + this.scansDone}
        ></conflicts-view>`;
      case 'activity':
        return html`<activity-view .lines=${this.activity} .live=${this.live}></activity-view>`;
      case 'jobs':
        return html`<jobs-view .api=${api} .caller=${caller} .changes=${this.jobChanges}></jobs-view>`;
      case 'memory':
        return html`<memory-detail
          .api=${api}
          .caller=${caller}
          .hash=${this.routeArgument}
          .changes=${changes}
        ></memory-detail>`;
      case 'agent':
        return html`<agent-view
          .api=${api}
          .caller=${caller}
          .file=${this.routeArgument}
          .changes=${changes}
        ></agent-view>`;
      case 'access':
        return caller!.admin
          ? html`<access-view .api=${api} .caller=${caller} .changes=${changes}></access-view>`
          : html`<section class="view" aria-labelledby="access-title">
              <h1 id="access-title">Access</h1>
              <p class="card empty" data-admin-only>
                API keys and OAuth connectors are managed with an admin key not bound to a namespace. You are signed in
                as ${signedInAs(this.caller!)} with the scopes ${this.caller!.scopes.join(', ')}.
              </p>
            </section>`;
    }
  }
}

function routeFromHash(): [Route, string] {
  const path = location.hash.replace(/^#\/?/, '');
  const memory = /^memory\/([0-9a-fA-F]{64})$/.exec(path);
  if (memory) return ['memory', memory[1].toLowerCase()];
  const file = /^agent\/files\/(.+)$/.exec(path);
  if (file) return ['agent', decodedPath(file[1])];
  const [id, query] = splitAtQuery(path);
  const route = ROUTES.find((known) => known.id === id)?.id;
  if (!route) {
    // An address of no view (mistyped, or from an older version) shows the Overview; the address says so too.
    if (path !== '') history.replaceState(history.state, '', '#/overview');
    return ['overview', ''];
  }
  return [route, ADDRESSED_ROUTES.has(route) ? query : ''];
}

/** `search?query=x` → ['search', 'query=x']. */
function splitAtQuery(path: string): [string, string] {
  const at = path.indexOf('?');
  return at === -1 ? [path, ''] : [path.slice(0, at), path.slice(at + 1)];
}

/** A path from the address bar; one a person mistyped (a stray %) is taken as written. */
function decodedPath(encoded: string): string {
  try {
    return encoded.split('/').map(decodeURIComponent).join('/');
  } catch {
    return encoded;
  }
}

function signedInAs(caller: Caller): string {
  const who = caller.kind === 'anonymous' ? 'no key (this machine only)' : `signed in as ${caller.name ?? caller.kind}`;
  return `${who} · namespace ${caller.namespace}`;
}

function liveLabel(state: LiveState): string {
  return state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Offline';
}
