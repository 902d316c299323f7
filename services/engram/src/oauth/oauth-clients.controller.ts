import { Controller, Delete, Get, Param } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CredentialWatch } from '../auth/credential-watch';
import { RequireScope } from '../auth/route-access';
import { ApiErrors } from '../common/api-schema.decorators';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { OAuthService } from './oauth.service';

/** A registered client's UUID, or a metadata-document client's https URL (percent-encoded in the path). */
const ClientIdParam = z
  .string()
  .refine(
    (id) => z.string().uuid().safeParse(id).success || /^https:\/\/[^\s]+$/.test(id),
    'expected an OAuth client id (a UUID, or the https URL of a client metadata document)',
  );

/** The operator's view of connectors approved through OAuth, and the way to cut one off. */
@ApiTags('admin')
@ApiSecurity('api_key')
@RequireScope('admin')
@Controller('api/admin/oauth/clients')
export class OAuthClientsController {
  constructor(
    private readonly oauth: OAuthService,
    private readonly watch: CredentialWatch,
  ) {}

  @Get()
  @ApiOperation({ summary: 'OAuth clients (connectors) with their live tokens and namespaces' })
  @ApiErrors(401, 403)
  async list() {
    return { clients: await this.oauth.listClients() };
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke every token of an OAuth client; it has to be approved again' })
  @ApiErrors(400, 401, 403, 404)
  async revoke(@Param('id', new ZodValidationPipe(ClientIdParam, 'path')) id: string) {
    const revoked = await this.oauth.revokeClient(id);
    void this.watch.recheckNow(); // its open MCP streams end too
    return revoked;
  }
}
