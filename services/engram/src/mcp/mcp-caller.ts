import { currentContext } from '../auth/request-context';

/** The credential calling: what it may hold at once (listen streams, pending cancellations) is capped by it. */
export function credentialKey(): string {
  const { principal } = currentContext();
  return `${principal.kind}:${principal.id}`;
}

/** The credential and the namespace it acts in: the client a 2025-era request id belongs to. */
export function callerKey(): string {
  return `${credentialKey()}:${currentContext().namespace}`;
}
