import { AsyncLocalStorage } from 'node:async_hooks';
import { Scope } from './scopes';

export const DEFAULT_NAMESPACE = 'default';

/** Who is calling, as far as authorization cares. */
export interface Principal {
  /** `local`: stdio, the worker and the CLI, which run with the database file's owner's rights. */
  kind: 'local' | 'anonymous' | 'bootstrap' | 'api_key' | 'oauth';
  /** Key id, OAuth client id, or the kind for the others; for logs and last-used bookkeeping. */
  id: string;
  /** What people call the credential (the key's name, `MCP_API_KEY`): "signed in as", logs, the audit log. */
  name?: string;
  scopes: readonly Scope[];
  /** The namespace a key or token is bound to; unbound credentials may choose one per request. */
  boundNamespace?: string;
}

export interface RequestContext {
  principal: Principal;
  namespace: string;
  /** Where the request came from, through the trusted proxies (auth/client-address.ts); `local` outside HTTP. */
  clientAddress: string;
  /**
   * Whether the credential the request was admitted with would be admitted now (HTTP requests only): long
   * streams ask again (credential-watch.ts). A credential store that does not answer counts as yes.
   */
  stillAdmitted?: () => Promise<boolean>;
}

const LOCAL: RequestContext = {
  principal: { kind: 'local', id: 'local', scopes: ['admin'] },
  namespace: DEFAULT_NAMESPACE,
  clientAddress: 'local',
};

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` (and everything it starts) as `context`: services read the namespace from here. */
export function runInContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The caller of the current request; outside a request (stdio, worker, CLI) the local owner. */
export function currentContext(): RequestContext {
  return storage.getStore() ?? LOCAL;
}

/** The namespace every memory read and write of the current request is confined to. */
export function currentNamespace(): string {
  return currentContext().namespace;
}
