import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { NotFound, UnprocessableRequest } from '../../common/domain-errors';
import { APP_CONFIG, AppConfig } from '../../config/config.types';
import { SQLITE_DATABASE } from '../../storage/storage.module';
import { SqliteDatabase } from '../../storage/sqlite.connection';
import { newSecret, secretDigest } from '../secrets';
import { Scope } from '../scopes';
import { ApiKeyRecord, ApiKeyRepository } from './api-key.repository';

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
  private readonly keys: ApiKeyRepository;

  constructor(
    @Inject(SQLITE_DATABASE) db: SqliteDatabase,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'auth' | 'oauth'>,
  ) {
    this.keys = new ApiKeyRepository(db);
  }

  /**
   * Stores a new key. Keys switch a keyless server to requiring credentials, so a key is refused when
   * afterwards nobody could administer the server: no MCP_API_KEY, no usable whole-store admin key, and
   * this key is not one. `locksServer` is true when this key is the one that ends keyless access.
   */
  create(input: NewApiKey, now = Date.now()): { key: string; record: ApiKeyRecord; locksServer: boolean } {
    const noBootstrapKey = this.config.auth.apiKey === undefined;
    const adminKey = input.scopes.includes('admin') && input.namespace === undefined;
    if (noBootstrapKey && !adminKey && this.keys.countUsableAdmins(now) === 0) {
      throw new UnprocessableRequest(ADMIN_KEY_NEEDED);
    }
    const locksServer = noBootstrapKey && !this.config.oauth.enabled && this.keys.countAll() === 0;
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
    this.keys.insert(record, secretDigest(key));
    return { key, record, locksServer };
  }

  list(): ApiKeyRecord[] {
    return this.keys.list();
  }

  revoke(id: string, now = Date.now()): ApiKeyRecord {
    const record = this.keys.findById(id);
    if (!record) throw new NotFound(`No API key with id ${id}`);
    this.keys.revoke(id, now);
    return { ...record, revokedAt: record.revokedAt ?? now };
  }

  /** The usable key this secret belongs to, or undefined (unknown, revoked or expired). */
  authenticate(secret: string, now = Date.now()): ApiKeyRecord | undefined {
    if (!secret.startsWith(API_KEY_PREFIX)) return undefined;
    const record = this.keys.findBySecretHash(secretDigest(secret));
    if (!record || record.revokedAt !== null || (record.expiresAt !== null && record.expiresAt <= now))
      return undefined;
    if (record.lastUsedAt === null || now - record.lastUsedAt >= LAST_USED_RESOLUTION_MS) {
      this.keys.markUsed(record.id, now);
    }
    return record;
  }

  /** True once any key was ever created, revoked ones included. */
  anyCreated(): boolean {
    return this.keys.countAll() > 0;
  }
}
