import { currentContext } from '../auth/request-context';
import { grants, Scope } from '../auth/scopes';
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
