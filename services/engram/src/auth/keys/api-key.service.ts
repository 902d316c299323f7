import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditAction } from '../../audit/audit-event';
import { AuditService } from '../../audit/audit.service';
import { NotFound, UnprocessableRequest } from '../../common/domain-errors';
import { APP_CONFIG, AppConfig } from '../../config/config.types';
import { ApiKeyRecord, ApiKeyStore } from '../../storage/api-key.store';
import { newSecret, secretDigest } from '../secrets';
import { Scope } from '../scopes';

export const API_KEY_PREFIX = 'egk_';
/** last_used_at is written at most this often per key, so reads do not turn into writes. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface NewApiKey {
  name: string;
  scopes: Scope[];
  namespace?: string;
  expiresAt?: number;
}

/** Why a first key that is not a whole-store admin key is refused, and what to do instead. */
export const ADMIN_KEY_NEEDED =
  'The first stored key would lock this server with no admin key: the server then requires a key on every ' +
  'request. Create an admin key first (scopes admin, no namespace), e.g. `engram keys create --name admin ' +
  '--scopes read,write,admin`, or set MCP_API_KEY.';

/** Creating, listing, revoking and checking stored API keys. The secret is shown once, at creation. */
@Injectable()
export class ApiKeyService {
  constructor(
    private readonly keys: ApiKeyStore,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'auth' | 'oauth'>,
    private readonly audit: AuditService,
  ) {}

  /**
   * Stores a new key. Keys switch a keyless server to requiring credentials, so a key is refused when
   * afterwards nobody could administer the server: no MCP_API_KEY, no usable whole-store admin key, and
   * this key is not one. `locksServer` is true when this key is the one that ends keyless access.
   */
  async create(
    input: NewApiKey,
    now = Date.now(),
  ): Promise<{ key: string; record: ApiKeyRecord; locksServer: boolean }> {
    const noBootstrapKey = this.config.auth.apiKey === undefined;
    const adminKey = input.scopes.includes('admin') && input.namespace === undefined;
    if (noBootstrapKey && !adminKey && (await this.keys.countUsableAdmins(now)) === 0) {
      throw new UnprocessableRequest(ADMIN_KEY_NEEDED);
    }
    const locksServer = noBootstrapKey && !this.config.oauth.enabled && (await this.keys.countAll()) === 0;
    const key = newSecret(API_KEY_PREFIX);
    const record: ApiKeyRecord = {
      id: randomUUID(),
      name: input.name,
      prefix: key.slice(0, API_KEY_PREFIX.length + 6),
      scopes: input.scopes,
      namespace: input.namespace ?? null,
      createdAt: now,
      lastUsedAt: null,
      expiresAt: input.expiresAt ?? null,
      revokedAt: null,
    };
    await this.keys.insert(record, secretDigest(key));
    await this.audit.record(keyEntry(AuditAction.KeyCreate, record));
    return { key, record, locksServer };
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.keys.list();
  }

  async revoke(id: string, now = Date.now()): Promise<ApiKeyRecord> {
    const record = await this.keys.findById(id);
    if (!record) throw new NotFound(`No API key with id ${id}`);
    await this.keys.revoke(id, now);
    await this.audit.record(keyEntry(AuditAction.KeyRevoke, record));
    return { ...record, revokedAt: record.revokedAt ?? now };
  }

  /** The usable key this secret belongs to, or undefined (unknown, revoked or expired). */
  async authenticate(secret: string, now = Date.now()): Promise<ApiKeyRecord | undefined> {
    if (!secret.startsWith(API_KEY_PREFIX)) return undefined;
    const record = await this.keys.findBySecretHash(secretDigest(secret));
    if (!record || record.revokedAt !== null || (record.expiresAt !== null && record.expiresAt <= now))
      return undefined;
    if (record.lastUsedAt === null || now - record.lastUsedAt >= LAST_USED_RESOLUTION_MS) {
      await this.keys.markUsed(record.id, now);
    }
    return record;
  }

  /** True once any key was ever created, revoked ones included. */
  async anyCreated(): Promise<boolean> {
    return (await this.keys.countAll()) > 0;
  }
}

/** A key's audit entry: which key (id, name, scopes), in the namespace it is bound to (null: unbound). */
function keyEntry(action: AuditAction, record: ApiKeyRecord) {
  return {
    action,
    outcome: 'success' as const,
    target: record.id,
    namespace: record.namespace,
    details: { name: record.name, scopes: record.scopes, expires_at: record.expiresAt },
  };
}
