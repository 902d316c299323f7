import { Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ZodBody } from '../../common/api-schema.decorators';
import { ZodValidationPipe } from '../../common/zod-validation.pipe';
import { ApiKeyRecord } from '../../storage/api-key.store';
import { Authenticator } from '../authenticator';
import { CredentialWatch } from '../credential-watch';
import { RequireScope } from '../route-access';
import { ApiKeyIdParam, CreateApiKeyBody, CreateApiKeyInput } from './api-key.dto';
import { ApiKeyService } from './api-key.service';

const DAY_MS = 86_400_000;

/** Shown once, when the first stored key ends keyless access. */
export const LOCKED_WARNING =
  'This server now requires a key on every request (REST, MCP, dashboard): keep this admin key.';

@ApiTags('admin')
@ApiSecurity('api_key')
@RequireScope('admin')
@Controller('api/admin/keys')
export class ApiKeysController {
  constructor(
    private readonly keys: ApiKeyService,
    private readonly authenticator: Authenticator,
    private readonly watch: CredentialWatch,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an API key (the secret is in this response only)' })
  @ApiErrors(400, 401, 403, 415, 422)
  async create(@ZodBody(CreateApiKeyBody) body: CreateApiKeyInput) {
    const { key, record, locksServer } = await this.keys.create({
      name: body.name,
      scopes: body.scopes,
      namespace: body.namespace,
      expiresAt: body.expires_in_days === undefined ? undefined : Date.now() + body.expires_in_days * DAY_MS,
    });
    this.authenticator.keysChanged();
    void this.watch.recheckNow(); // the first key ends keyless streams
    return { key, ...toKeyView(record), ...(locksServer ? { warning: LOCKED_WARNING } : {}) };
  }

  @Get()
  @ApiOperation({ summary: 'List API keys (never their secrets)' })
  @ApiErrors(401, 403)
  async list() {
    return { keys: (await this.keys.list()).map(toKeyView) };
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke an API key; it stops working at once' })
  @ApiErrors(400, 401, 403, 404)
  async revoke(@Param('id', new ZodValidationPipe(ApiKeyIdParam, 'path')) id: string) {
    const revoked = toKeyView(await this.keys.revoke(id));
    void this.watch.recheckNow(); // its open streams end too
    return revoked;
  }
}

export function toKeyView(record: ApiKeyRecord) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: record.id,
    name: record.name,
    prefix: record.prefix,
    scopes: record.scopes,
    namespace: record.namespace,
    created_at: iso(record.createdAt),
    last_used_at: iso(record.lastUsedAt),
    expires_at: iso(record.expiresAt),
    revoked_at: iso(record.revokedAt),
  };
}
