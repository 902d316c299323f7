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

/** The database file's owner: the CLI's commands and stdio MCP act as it, and jobs in their namespace. */
export const LOCAL_OWNER: RequestContext = {
  principal: { kind: 'local', id: 'local', scopes: ['admin'] },
  namespace: DEFAULT_NAMESPACE,
  clientAddress: 'local',
};

const storage = new AsyncLocalStorage<RequestContext>();

/** What code outside any request acts as: nobody, unless the process is the local owner's (a CLI command). */
let outsideRequests: RequestContext | undefined;

/**
 * Code reached with no request context is a bug that would otherwise act on the default namespace with
 * every right: it fails instead (a 500 to the request that lost it, a failed job).
 */
export class NoRequestContext extends Error {
  constructor() {
    super('No request context: this code ran outside a request, job or command that names its caller');
    this.name = 'NoRequestContext';
  }
}

/**
 * Makes this process the local owner's outside requests: the CLI's commands and stdio MCP, which run
 * with the database file's owner's rights. Never called by `serve` or `worker`, which serve others.
 */
export function actAsLocalOwnerOutsideRequests(): void {
  outsideRequests = LOCAL_OWNER;
}

/** Runs `fn` (and everything it starts) as `context`: services read the namespace from here. */
export function runInContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The caller of the current request, job or command; throws NoRequestContext when there is none. */
export function currentContext(): RequestContext {
  const context = storage.getStore() ?? outsideRequests;
  if (context === undefined) throw new NoRequestContext();
  return context;
}

/** The caller, when there is one: for records (the audit log) that must never fail the action they record. */
export function contextIfAny(): RequestContext | undefined {
  return storage.getStore() ?? outsideRequests;
}

/** The namespace every memory read and write of the current request is confined to. */
export function currentNamespace(): string {
  return currentContext().namespace;
}
