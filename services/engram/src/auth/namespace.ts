import { Forbidden, InvalidInput } from '../common/domain-errors';
import { DEFAULT_NAMESPACE, Principal } from './request-context';

export const NAMESPACE_HEADER = 'x-engram-namespace';
const NAMESPACE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function isNamespace(value: string): boolean {
  return NAMESPACE.test(value);
}

/**
 * The namespace a request works in: a bound credential's own (asking for another is refused), else the
 * one named by the X-Engram-Namespace header, else the default one.
 */
export function chooseNamespace(principal: Principal, requested: string | string[] | undefined): string {
  const asked = Array.isArray(requested) ? requested[0] : requested;
  if (asked !== undefined && !isNamespace(asked)) {
    throw new InvalidInput(
      'X-Engram-Namespace must be 1-64 lower-case letters, digits, _ or -, starting with a letter or digit',
    );
  }
  if (principal.boundNamespace !== undefined) {
    if (asked !== undefined && asked !== principal.boundNamespace) {
      throw new Forbidden(`This credential is bound to namespace "${principal.boundNamespace}"`);
    }
    return principal.boundNamespace;
  }
  return asked ?? DEFAULT_NAMESPACE;
}
