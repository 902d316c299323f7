import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Forbidden } from '../common/domain-errors';
import { currentContext } from './request-context';
import { grants, Scope } from './scopes';

const REQUIRED_SCOPE = 'engram:required-scope';

/** Marks a handler (or controller) as needing a scope other than its HTTP method's default. */
export const RequireScope = (scope: Scope) => SetMetadata(REQUIRED_SCOPE, scope);

/** Operations on the whole store: keys, backups, restore, reindex, jobs. */
const ADMIN_PATHS = [/^\/api\/admin(\/|$)/, /^\/api\/jobs(\/|$)/, /^\/api\/backup(\/|$)/];

/**
 * Checks the caller's scope on every REST route: `@RequireScope` when present, else `admin` under the
 * admin paths, else `read` for GET/HEAD and `write` for the rest.
 */
@Injectable()
export class ScopeGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ method: string; url: string }>();
    const needed = this.requiredScope(context, request.method, request.url.split('?', 1)[0]);
    const { principal } = currentContext();
    if (!grants(principal.scopes, needed)) {
      throw new Forbidden(`This needs the "${needed}" scope; the credential has: ${principal.scopes.join(', ')}`);
    }
    // Whole-store operations would let a namespace-bound key reach other namespaces (or mint keys that can).
    if (needed === 'admin' && principal.boundNamespace !== undefined) {
      throw new Forbidden('Keys, backups, restore, reindex and jobs need a credential not bound to a namespace');
    }
    return true;
  }

  private requiredScope(context: ExecutionContext, method: string, path: string): Scope {
    const declared = this.reflector.getAllAndOverride<Scope | undefined>(REQUIRED_SCOPE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (declared) return declared;
    if (ADMIN_PATHS.some((pattern) => pattern.test(path))) return 'admin';
    return method === 'GET' || method === 'HEAD' ? 'read' : 'write';
  }
}
