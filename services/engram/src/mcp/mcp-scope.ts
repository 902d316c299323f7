import type { AuthInfo, ScopeChallengeHandler } from '@modelcontextprotocol/server';
import { currentContext, Principal } from '../auth/request-context';
import { grants, isScope, Scope } from '../auth/scopes';
import { Forbidden } from '../common/domain-errors';

/**
 * What the caller's credential must hold to use a tool or read a resource: read-only ones need `read`,
 * the others `write`. `what` names the tool or resource in the refusal.
 */
export function requireScope(what: string, needed: Scope): void {
  const { principal } = currentContext();
  if (!grants(principal.scopes, needed)) {
    throw new Forbidden(
      `${what} needs the "${needed}" scope; the credential has: ${principal.scopes.join(', ') || 'none'}`,
    );
  }
}

/**
 * The MCP step-up challenge for `what`: an OAuth access token without `needed` is answered HTTP 403
 * `insufficient_scope` naming it, before the call runs, so its client asks the user for it and retries.
 * Scopes nest (`write` includes `read`), so naming the one needed never drops one the token holds.
 * Requests without auth info (API keys, stdio) are let through to requireScope's tool error: they
 * cannot step up, and an HTTP error would fail the call where a tool error lets the model say why.
 */
export function scopeChallenge(what: string, needed: Scope): ScopeChallengeHandler {
  return ({ authInfo }) => {
    if (authInfo === undefined || grants(authInfo.scopes.filter(isScope), needed)) return undefined;
    return { scopes: [needed], errorDescription: `${what} needs the ${needed} scope` };
  };
}

/**
 * What the SDK's scope challenges read (`req.auth`) for an OAuth principal; undefined for any other
 * credential. The token itself is not kept: tools act on the request context's principal.
 */
export function stepUpAuthInfo(principal: Principal, resourceMetadataUrl: string): AuthInfo | undefined {
  if (principal.kind !== 'oauth') return undefined;
  return { token: '', clientId: principal.id, scopes: [...principal.scopes], resourceMetadataUrl };
}
