import { html, nothing, PropertyValues } from 'lit';
import { ApiKeyView, OAuthClientView } from '../api';
import { errorText, formatTime } from '../format';
import { ReloadingView } from './reloading-view';

const SCOPES = ['read', 'write', 'admin'] as const;
const READ_ONLY: ReadonlySet<string> = new Set(['read']);
const EVERY_SCOPE: ReadonlySet<string> = new Set(SCOPES);

/** Past its expiry time: the server refuses it, as it does a revoked key, but the key was never revoked. */
function hasExpired(key: ApiKeyView): boolean {
  return key.expires_at !== null && Date.parse(key.expires_at) <= Date.now();
}

/** What a revoke's confirmation says, and the revoke it confirms. */
interface Revocation {
  heading: string;
  /** Quoted: the key's or connector's name. */
  text: string;
  detail: string;
  revoke: () => Promise<unknown>;
}

function expiryText(key: ApiKeyView): string {
  if (key.expires_at === null) return 'no expiry';
  return `${hasExpired(key) ? 'expired' : 'expires'} ${formatTime(key.expires_at)}`;
}

/**
 * API keys (create: the secret is shown once; revoke) and, when OAuth is on, the connectors it approved.
 * Needs an admin key not bound to a namespace; other keys see why not. On a keyless server (no key: this
 * machine only) the first key makes every request need one, this page's too, so the page offers to sign
 * in with it.
 */
export class AccessView extends ReloadingView {
  static override properties = {
    ...ReloadingView.properties,
    keys: { state: true },
    clients: { state: true },
    created: { state: true },
    formError: { state: true },
    startingScopes: { state: true },
    creating: { state: true },
    revoking: { state: true },
    revokeError: { state: true },
    revokeBusy: { state: true },
  };
  declare keys: ApiKeyView[] | undefined;
  declare clients: OAuthClientView[] | undefined;
  declare created: (ApiKeyView & { key: string }) | undefined;
  declare formError: string;
  /** A key is being made: a second press of Create key (or Enter) would make a second key, whose secret hides the first's. */
  declare creating: boolean;
  /**
   * The scopes the form starts with, undefined (scopes and Create disabled) until the view knows whether the key is the
   * server's first. Decided then and again when the form is reset after a key is made, never on a reload (a
   * revoke's, a failed one's): ticking the boxes anew would undo a user's choice, or a click landing as it renders.
   */
  declare startingScopes: ReadonlySet<string> | undefined;
  /** The revoke being confirmed; its dialog stays open until it is done, and says there why when it fails. */
  declare revoking: Revocation | undefined;
  declare revokeError: string;
  declare revokeBusy: boolean;

  protected override willUpdate(changed: PropertyValues<this>): void {
    this.startingScopes ??= this.scopesForNextKey();
    super.willUpdate(changed);
  }

  protected async load(): Promise<void> {
    const [keys, clients] = await Promise.all([this.api.keys(), this.api.oauthClients()]);
    this.keys = keys.keys;
    this.clients = clients;
  }

  protected override clearResults(): void {
    this.keys = undefined;
    this.clients = undefined;
  }

  private async create(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    if (this.creating) return;
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const namespace = String(data.get('namespace') ?? '').trim();
    const days = String(data.get('expires') ?? '').trim();
    this.creating = true;
    try {
      this.created = await this.api.createKey({
        name: String(data.get('name') ?? '').trim(),
        scopes: data.getAll('scope').map(String),
        namespace: namespace === '' ? undefined : namespace,
        expires_in_days: days === '' ? undefined : Number(days),
      });
      this.formError = '';
      form.reset();
      this.startingScopes = undefined; // the next key is not the first: decided again from the list
      // Without a key this page is now refused: list the new key from the answer rather than ask again.
      if (this.keyless) this.keys = [...(this.keys ?? []), this.created];
      else await this.reload();
    } catch (error) {
      this.formError = errorText(error);
    } finally {
      this.creating = false;
    }
  }

  /** Signed in without a key: the server has none yet, and trusts this machine. */
  private get keyless(): boolean {
    return this.caller.kind === 'anonymous';
  }

  /**
   * The key about to be made is the server's first: the server refuses any but an admin key bound to no
   * namespace then (it would lock everyone out), so the form starts with every scope ticked.
   */
  private get makingFirstKey(): boolean {
    return this.keyless && this.keys?.length === 0;
  }

  /** Read alone, or every scope for the server's first key; undefined while a keyless page awaits its key list. */
  private scopesForNextKey(): ReadonlySet<string> | undefined {
    if (!this.keyless) return READ_ONLY;
    if (this.keys === undefined) return undefined;
    return this.makingFirstKey ? EVERY_SCOPE : READ_ONLY;
  }

  private signInWithCreatedKey(): void {
    this.dispatchEvent(new CustomEvent('sign-in', { detail: this.created!.key, bubbles: true }));
  }

  private askToRevokeKey(key: ApiKeyView): void {
    this.revoking = {
      heading: 'Revoke this key?',
      text: `${key.name} (${key.prefix}…)`,
      detail: 'Clients using it stop working at once. A revoked key cannot be used again.',
      revoke: () => this.api.revokeKey(key.id),
    };
  }

  private askToRevokeClient(client: OAuthClientView): void {
    this.revoking = {
      heading: 'Cut off this connector?',
      text: client.client_name ?? client.client_id,
      detail: 'Its tokens stop working at once; it must be approved again.',
      revoke: () => this.api.revokeOAuthClient(client.client_id),
    };
  }

  private async confirmRevoke(): Promise<void> {
    this.revokeBusy = true;
    try {
      await this.revoking!.revoke();
    } catch (error) {
      this.revokeError = `Not revoked: ${errorText(error)}`;
      return;
    } finally {
      this.revokeBusy = false;
    }
    this.closeRevoke();
    await this.reload();
  }

  private closeRevoke(): void {
    this.revoking = undefined;
    this.revokeError = '';
  }

  private renderRevokeDialog(revocation: Revocation) {
    return html`<confirm-dialog
      .heading=${revocation.heading}
      .text=${revocation.text}
      .detail=${revocation.detail}
      .confirmLabel=${'Revoke'}
      .error=${this.revokeError}
      .busy=${this.revokeBusy}
      @confirm=${() => this.confirmRevoke()}
      @cancel=${() => this.closeRevoke()}
    ></confirm-dialog>`;
  }

  private renderKey(key: ApiKeyView) {
    const expired = !key.revoked_at && hasExpired(key);
    return html`<li data-key=${key.id}>
      <strong>${key.name}</strong> <code>${key.prefix}…</code>
      ${key.scopes.map((scope) => html`<span class="tag">${scope}</span>`)}
      ${key.namespace ? html`<span class="type">${key.namespace}</span>` : nothing}
      <span class="meta"
        >created ${formatTime(key.created_at)} · last used ${key.last_used_at ? formatTime(key.last_used_at) : 'never'}
        · ${expiryText(key)}</span
      >
      ${key.revoked_at ? html`<span class="revoked">revoked ${formatTime(key.revoked_at)}</span>` : nothing}
      ${expired ? html`<span class="expired">expired</span>` : nothing}
      ${
        key.revoked_at
          ? nothing
          : html`<button class="danger" @click=${() => this.askToRevokeKey(key)} aria-label="Revoke ${key.name}">
              Revoke
            </button>`
      }
    </li>`;
  }

  /** Why the scopes cannot be chosen yet: on a keyless server they wait for the key list. */
  private renderScopesPending() {
    return this.error
      ? html`<p class="hint">The scopes can be chosen once the key list loads.</p>`
      : html`<p class="hint" aria-busy="true">Loading…</p>`;
  }

  override render() {
    const starting = this.startingScopes;
    return html`<section class="view" aria-labelledby="access-title">
      <h1 id="access-title">Access</h1>
      ${this.error && this.keys ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <form class="card key-form" @submit=${(event: SubmitEvent) => this.create(event)}>
        <h2>New API key</h2>
        <label>Name <input name="name" required maxlength="100" autocomplete="off" /></label>
        <fieldset ?disabled=${starting === undefined}>
          <legend>Scopes</legend>
          ${SCOPES.map(
            (scope) =>
              html`<label class="inline"
                ><input
                  type="checkbox"
                  name="scope"
                  value=${scope}
                  ?checked=${starting?.has(scope) ?? scope === 'read'}
                />
                ${scope}</label
              >`,
          )}
          ${starting === undefined ? this.renderScopesPending() : nothing}
        </fieldset>
        <label
          >Namespace (optional: bind the key to it)
          <input
            name="namespace"
            pattern="[a-z0-9][a-z0-9_\\-]{0,63}"
            title="Lower-case letters, digits, _ and -, starting with a letter or digit (at most 64)"
            autocomplete="off"
        /></label>
        <label>Expires after (days, optional) <input name="expires" type="number" min="1" max="3650" /></label>
        ${
          this.keyless
            ? html`<p class="hint">
                This server has no key yet. Once one exists, every request needs a key, this page's too.
                ${this.makingFirstKey ? 'So the first key must be an admin key bound to no namespace.' : nothing}
              </p>`
            : nothing
        }
        ${this.formError ? html`<p class="error" role="alert">${this.formError}</p>` : nothing}
        <button type="submit" ?disabled=${starting === undefined || this.creating}>Create key</button>
      </form>
      ${
        this.created
          ? html`<div class="card created-key" role="status">
              <h2>Key “${this.created.name}” created</h2>
              <p>Copy it now: it is not shown again.</p>
              <code class="secret">${this.created.key}</code>
              ${
                this.keyless
                  ? html`<p class="warning">
                        <strong>This server now requires a key.</strong> Requests without one are refused, this page's
                        included.
                      </p>
                      <button class="primary" @click=${() => this.signInWithCreatedKey()}>
                        Sign in with this key
                      </button>`
                  : nothing
              }
            </div>`
          : nothing
      }
      <div class="card">
        <h2>API keys</h2>
        ${
          this.keys === undefined
            ? this.error
              ? html`<p class="error" role="alert">${this.error}</p>`
              : html`<p aria-busy="true">Loading…</p>`
            : this.keys.length === 0
              ? html`<p class="empty">No stored keys.</p>`
              : html`<ul class="key-list">
                  ${this.keys.map((key) => this.renderKey(key))}
                </ul>`
        }
      </div>
      ${
        this.clients === undefined
          ? nothing
          : html`<div class="card">
              <h2>OAuth connectors</h2>
              ${
                this.clients.length === 0
                  ? html`<p class="empty">No connector has registered.</p>`
                  : html`<ul class="key-list">
                      ${this.clients.map(
                        (client) =>
                          html`<li>
                            <strong>${client.client_name ?? client.client_id}</strong>
                            <span class="meta"
                              >${client.active_tokens} live token(s) ·
                              ${client.namespaces.join(', ') || 'no grant'}</span
                            >
                            <button class="danger" @click=${() => this.askToRevokeClient(client)}>Revoke</button>
                          </li>`,
                      )}
                    </ul>`
              }
            </div>`
      }
      <audit-log .api=${this.api} .changes=${this.changes}></audit-log>
      ${this.revoking ? this.renderRevokeDialog(this.revoking) : nothing}
    </section>`;
  }
}
