import { Inject, Injectable, Optional } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { ApiKeyVerifier } from './api-key.verifier';
import { ApiKeyService } from './keys/api-key.service';
import { Principal } from './request-context';

/** Resolves an OAuth access token (when OAuth is on) to the principal it was issued for. */
export interface AccessTokenResolver {
  resolve(token: string, audience: string): Promise<Principal | undefined>;
}
export const ACCESS_TOKEN_RESOLVER = Symbol('ACCESS_TOKEN_RESOLVER');

/** How often "does any stored key exist" is looked up again while none does (keys made by the CLI). */
const KEY_PRESENCE_RECHECK_MS = 5_000;

/**
 * Turns a presented secret into a principal: the bootstrap MCP_API_KEY (admin, unbound), a stored API
 * key (its scopes and namespace), or an OAuth access token for the requested resource.
 */
@Injectable()
export class Authenticator {
  private readonly bootstrap: ApiKeyVerifier;
  private readonly oauthEnabled: boolean;
  private storedKeysExist = false;
  private storedKeysCheckedAt = 0;
  /** Bumped by keysChanged, so a lookup that raced a key's creation is not cached. */
  private keysGeneration = 0;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly keys: ApiKeyService,
    @Optional() @Inject(ACCESS_TOKEN_RESOLVER) private readonly tokens?: AccessTokenResolver,
  ) {
    this.bootstrap = new ApiKeyVerifier(config.auth.apiKey);
    this.oauthEnabled = config.oauth.enabled;
  }

  /**
   * Credentials are required once any is configured: the bootstrap key, OAuth, or a stored key (even
   * a revoked one: revoking the last key must not open the server).
   */
  async credentialsRequired(now = Date.now()): Promise<boolean> {
    if (!this.bootstrap.disabled || this.oauthEnabled) return true;
    if (this.storedKeysExist || now - this.storedKeysCheckedAt < KEY_PRESENCE_RECHECK_MS) return this.storedKeysExist;
    const generation = this.keysGeneration;
    // A store error rejects here, and the next request asks again.
    const exist = await this.keys.anyCreated();
    if (exist) this.storedKeysExist = true;
    // A "none" read while a key was being created may predate it: it is not cached.
    else if (generation === this.keysGeneration) this.storedKeysCheckedAt = now;
    return exist;
  }

  /** Forget the cached "no keys" answer (a key was just created in this process). */
  keysChanged(): void {
    this.keysGeneration += 1;
    this.storedKeysCheckedAt = 0;
  }

  async authenticate(secret: string, audience: string): Promise<Principal | undefined> {
    if (!this.bootstrap.disabled && this.bootstrap.matches(secret)) {
      return { kind: 'bootstrap', id: 'MCP_API_KEY', name: 'MCP_API_KEY', scopes: ['admin'] };
    }
    const key = await this.keys.authenticate(secret);
    if (key) {
      return {
        kind: 'api_key',
        id: key.id,
        name: key.name,
        scopes: key.scopes,
        boundNamespace: key.namespace ?? undefined,
      };
    }
    return this.tokens?.resolve(secret, audience);
  }
}
