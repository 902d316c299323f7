import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-schema.decorators';
import { currentContext } from './request-context';
import { grants } from './scopes';

/** Who the caller is, so a client (the dashboard) can say "signed in as …" and offer only what it may do. */
@ApiTags('auth')
@ApiSecurity('api_key')
@Controller('api/auth')
export class WhoamiController {
  @Get('whoami')
  @ApiOperation({ summary: 'The credential of this request: name, scopes, namespace, and whether it may administer' })
  @ApiErrors(401, 403)
  whoami() {
    const { principal, namespace } = currentContext();
    return {
      kind: principal.kind,
      name: principal.name ?? null,
      scopes: principal.scopes,
      namespace,
      bound_namespace: principal.boundNamespace ?? null,
      // The same rule as the scope guard's for /api/admin/*: admin scope, not bound to a namespace.
      admin: grants(principal.scopes, 'admin') && principal.boundNamespace === undefined,
    };
  }
}
