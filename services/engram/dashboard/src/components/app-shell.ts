import { html, LitElement, nothing } from 'lit';
import { EngramEvent } from '../../../src/events/engram-event';
import { EngramApi, MemoryDraft, MemoryView, serverIsOpen, Unauthorized } from '../api';
import { errorText } from '../format';
import { LiveEvents, LiveState } from '../live-events';
import { session } from '../session';

const ROUTES = [
  { id: 'overview', label: 'Overview' },
  { id: 'memories', label: 'Memories' },
  { id: 'search', label: 'Search' },
  { id: 'activity', label: 'Activity' },
  { id: 'jobs', label: 'Jobs & backups' },
  { id: 'agent', label: 'Agent' },
  { id: 'access', label: 'Access' },
] as const;
/** `memory` is not in the navigation: `#/memory/<hash>` is where links to one memory land. */
type Route = (typeof ROUTES)[number]['id'] | 'memory';

export interface ActivityEntry {
  event: EngramEvent;
  receivedAt: Date;
}

const MAX_ACTIVITY = 200;

/** The page: key prompt, navigation, the live connection, and the create/edit/delete dialogs. */
export class AppShell extends LitElement {
  static override properties = {
    api: { state: true },
    route: { state: true },
    memoryHash: { state: true },
    live: { state: true },
    activity: { state: true },
    changes: { state: true },
    editing: { state: true },
    deleting: { state: true },
    loginError: { state: true },
    checking: { state: true },
    announcement: { state: true },
  };

  declare api: EngramApi | undefined;
  declare route: Route;
  declare memoryHash: string;
  declare live: LiveState;
  declare activity: ActivityEntry[];
  /** Bumped on every memory event, so the views showing memories reload. */
  declare changes: number;
  declare editing: MemoryView | 'new' | undefined;
  declare deleting: MemoryView | undefined;
  declare loginError: string;
  declare checking: boolean;
  declare announcement: string;
  private events: LiveEvents | undefined;

  constructor() {
    super();
    [this.route, this.memoryHash] = routeFromHash();
    this.live = 'offline';
    this.activity = [];
    this.changes = 0;
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

  private onHashChange = () => {
    [this.route, this.memoryHash] = routeFromHash();
  };

  private async restoreSession(): Promise<void> {
    try {
      const saved = session.load();
      if (saved) await this.signIn(saved);
      else if (await serverIsOpen()) this.start(new EngramApi(undefined));
    } catch {
      // stay on the prompt
    } finally {
      this.checking = false;
    }
  }

  private async signIn(key: string): Promise<void> {
    const api = new EngramApi(key);
    try {
      await api.status();
    } catch (error) {
      session.clear();
      this.loginError =
        error instanceof Unauthorized ? 'That key was refused. Check it and try again.' : errorText(error);
      return;
    }
    session.save(key);
    this.loginError = '';
    this.start(api);
  }

  private start(api: EngramApi): void {
    this.api = api;
    this.events?.stop();
    this.events = new LiveEvents(api.streamUrl(), {
      onEvent: (event) => this.onLiveEvent(event),
      onGap: () => this.changes++,
      onState: (state) => (this.live = state),
    });
    this.events.start();
  }

  private signOut(): void {
    this.events?.stop();
    session.clear();
    this.api = undefined;
    this.activity = [];
  }

  private onLiveEvent(event: EngramEvent): void {
    this.activity = [{ event, receivedAt: new Date() }, ...this.activity].slice(0, MAX_ACTIVITY);
    if (event.type.startsWith('memory_')) this.changes++;
    const preview = event.payload.preview;
    this.announcement = `${event.type.replace('_', ' ')}${typeof preview === 'string' ? `: ${preview}` : ''}`;
  }

  private async save(draft: MemoryDraft): Promise<void> {
    const form = this.querySelector('memory-form') as HTMLElement & { error: string; busy: boolean };
    form.busy = true;
    try {
      if (this.editing === 'new') await this.api!.create(draft);
      else await this.api!.update(this.editing!.content_hash, draft);
      this.editing = undefined;
      this.changes++;
    } catch (error) {
      form.error = errorText(error);
    } finally {
      form.busy = false;
    }
  }

  private async confirmDelete(): Promise<void> {
    const memory = this.deleting!;
    this.deleting = undefined;
    try {
      await this.api!.remove(memory.content_hash);
      this.changes++;
    } catch (error) {
      this.announcement = `Delete failed: ${errorText(error)}`;
    }
  }

  override render() {
    if (this.checking) return html`<p class="boot">Loading Engram…</p>`;
    if (!this.api) {
      return html`<key-prompt
        .error=${this.loginError}
        @key-entered=${(event: CustomEvent<string>) => this.signIn(event.detail)}
      ></key-prompt>`;
    }
    return html`
      <header class="topbar">
        <a class="brand" href="#/overview">Engram</a>
        <span class="live live-${this.live}" role="status">${liveLabel(this.live)}</span>
        <button class="link" @click=${() => this.signOut()}>Sign out</button>
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
          @memory-edit=${(event: CustomEvent<MemoryView>) => (this.editing = event.detail)}
          @memory-delete=${(event: CustomEvent<MemoryView>) => (this.deleting = event.detail)}
          @memory-new=${() => (this.editing = 'new')}
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
              .memory=${this.deleting}
              @confirm=${() => this.confirmDelete()}
              @cancel=${() => (this.deleting = undefined)}
            ></confirm-dialog>`
          : nothing
      }
    `;
  }

  private renderRoute() {
    switch (this.route) {
      case 'overview':
        return html`<overview-view .api=${this.api} .changes=${this.changes}></overview-view>`;
      case 'memories':
        return html`<memories-view .api=${this.api} .changes=${this.changes}></memories-view>`;
      case 'search':
        return html`<search-view .api=${this.api} .changes=${this.changes}></search-view>`;
      case 'activity':
        return html`<activity-view .entries=${this.activity} .live=${this.live}></activity-view>`;
      case 'jobs':
        return html`<placeholder-panel
            heading="Jobs & backups"
            text="Backups, restores, re-indexing and imports will be listed and started here. Their progress already appears in Activity."
          ></placeholder-panel>
          <import-view></import-view>`;
      case 'memory':
        return html`<memory-detail .api=${this.api} .hash=${this.memoryHash} .changes=${this.changes}></memory-detail>`;
      case 'access':
        return html`<access-view .api=${this.api} .changes=${this.changes}></access-view>`;
      case 'agent':
        return html`<placeholder-panel
          heading="Agent"
          text="Ask the memory agent questions about your memories here once a model endpoint is configured."
        ></placeholder-panel>`;
    }
  }
}

function routeFromHash(): [Route, string] {
  const path = location.hash.replace(/^#\/?/, '');
  const memory = /^memory\/([0-9a-fA-F]{64})$/.exec(path);
  if (memory) return ['memory', memory[1].toLowerCase()];
  return [ROUTES.find((route) => route.id === path)?.id ?? 'overview', ''];
}

function liveLabel(state: LiveState): string {
  return state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Offline';
}
