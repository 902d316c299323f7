import { currentContext } from '../auth/request-context';

/**
 * The credential calling: what it may hold at once (listen streams, pending cancellations) is capped by it.
 * A credential bound to a namespace counts apart in each: one OAuth client (Claude's connector, named by
 * its metadata document) is approved for many namespaces, and one tenant must not use up another's share.
 */
export function credentialKey(): string {
  const { principal } = currentContext();
  const bound = principal.boundNamespace === undefined ? '' : `:${principal.boundNamespace}`;
  return `${principal.kind}:${principal.id}${bound}`;
}

/** The credential and the namespace it acts in: the client a 2025-era request id belongs to. */
export function callerKey(): string {
  return `${credentialKey()}:${currentContext().namespace}`;
}
