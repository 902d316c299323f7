export interface ConsentView {
  requestId: string;
  csrf: string;
  clientName: string;
  /** The host of a client ID metadata document; undefined for a dynamically registered client. */
  clientHost?: string;
  redirectUri: string;
  scopes: readonly string[];
  namespace: string;
  /** Whether the operator password signs in: none is set, it does, or it is paused after wrong guesses. */
  password: PasswordSignIn;
  error?: string;
}

/** An unbound admin key always signs in; the operator password only when set and not paused. */
export type PasswordSignIn = 'none' | 'accepted' | 'paused';

const ADMIN_KEY = 'an admin API key that is not bound to a namespace';
const SIGN_IN: Record<PasswordSignIn, { label: string; help: string }> = {
  accepted: {
    label: 'Operator password or admin API key',
    help: `Sign in with the operator password, or with ${ADMIN_KEY}.`,
  },
  none: { label: 'Admin API key', help: `Sign in with ${ADMIN_KEY}.` },
  paused: {
    label: 'Admin API key',
    help: `The operator password is not checked for now, after too many wrong ones: sign in with ${ADMIN_KEY}.`,
  },
};

const SCOPE_WORDS: Record<string, string> = {
  read: 'read and search memories',
  write: 'store, change and delete memories',
};

/** The operator's consent page: server-rendered, no script, no external resource. */
export function renderConsentPage(view: ConsentView): string {
  // Only what the client asked for can be granted: unticking narrows it, nothing widens it.
  const scopeBoxes = view.scopes
    .map(
      (scope) => `<label><input type="checkbox" name="scope" value="${scope}" checked>
      <b>${scope}</b> — ${SCOPE_WORDS[scope] ?? scope}</label>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Allow access to Engram?</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 34rem; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; }
  fieldset { border: 1px solid #ccc; border-radius: 6px; margin: 1rem 0; } label { display: block; margin: .4rem 0; }
  input[type=text], input[type=password] { width: 100%; padding: .4rem; box-sizing: border-box; }
  .error { color: #a00; } .help { margin-top: 0; color: #555; font-size: .9rem; } .origin { background: #f4f4f4; padding: .6rem; border-radius: 6px; } .buttons { display: flex; gap: 1rem; } button { padding: .5rem 1.2rem; }
  code { word-break: break-all; }
</style></head>
<body>
<h1>Allow <em>${escapeHtml(view.clientName)}</em> to use your Engram memory?</h1>
${clientOrigin(view)}
<p>After you approve, access is sent to <b>${escapeHtml(redirectHost(view.redirectUri))}</b>:
<code>${escapeHtml(view.redirectUri)}</code>.${loopbackWarning(view.redirectUri)}</p>
${view.error ? `<p class="error" role="alert">${escapeHtml(view.error)}</p>` : ''}
<form method="post" action="/oauth/authorize">
  <input type="hidden" name="request_id" value="${escapeHtml(view.requestId)}">
  <input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">
  <fieldset><legend>Access</legend>
  ${scopeBoxes}
  <label>Namespace <input type="text" name="namespace" value="${escapeHtml(view.namespace)}" pattern="[a-z0-9][a-z0-9_\\-]{0,63}" required></label>
  </fieldset>
  <label>${SIGN_IN[view.password].label}
    <input type="password" name="credential" autocomplete="current-password" required autofocus aria-describedby="credential-help"></label>
  <p id="credential-help" class="help">${SIGN_IN[view.password].help}</p>
  <p class="buttons"><button type="submit" name="action" value="approve">Allow</button>
  <button type="submit" name="action" value="deny" formnovalidate>Deny</button></p>
</form>
</body></html>`;
}

/**
 * Who vouches for the name above: the host serving the client's metadata document, or nobody (a name
 * a client gave itself when it registered).
 */
function clientOrigin(view: ConsentView): string {
  if (view.clientHost !== undefined) {
    return `<p class="origin">Client <b>${escapeHtml(view.clientHost)}</b> describes itself as "${escapeHtml(view.clientName)}".
The host <b>${escapeHtml(view.clientHost)}</b> vouches for this name and its addresses, not Engram: allow it only if you
are connecting ${escapeHtml(view.clientName)} from ${escapeHtml(view.clientHost)} right now.</p>`;
  }
  return `<p class="origin">This client registered itself under that name; Engram cannot check the name. Allow it only
if you are adding a connector right now and the address below is the one you expect.</p>`;
}

function redirectHost(uri: string): string {
  const url = new URL(uri);
  const web = url.protocol === 'http:' || url.protocol === 'https:';
  return web ? url.host : `the ${url.protocol.replace(/:$/, '')} app on this device`;
}

/** A loopback redirect reaches whatever program listens on this computer, not a known site. */
function loopbackWarning(uri: string): string {
  const url = new URL(uri);
  const loopback = url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  return loopback ? ' <b>That is a program on the computer running the browser</b>, not a web site.' : '';
}

export function renderErrorPage(message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Authorization error</title></head>
<body style="font: 16px/1.5 system-ui, sans-serif; max-width: 34rem; margin: 2rem auto">
<h1>This authorization request cannot continue</h1><p>${escapeHtml(message)}</p></body></html>`;
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
