import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '../config/config.types';
import { RedisKeys } from '../config/redis-keys';
import { OAuthClientsController } from '../oauth/oauth-clients.controller';
import { OAuthController } from '../oauth/oauth.controller';
import { OAuthService } from '../oauth/oauth.service';
import { PendingConsents } from '../oauth/pending-consents';
import { StorageModule } from '../storage/storage.module';
import { ACCESS_TOKEN_RESOLVER, Authenticator } from './authenticator';
import { FAILURE_LIMITER, FailureLimiter, InMemoryFailureLimiter } from './failure-limiter';
import { ApiKeyService } from './keys/api-key.service';
import { ApiKeysController } from './keys/api-keys.controller';
import { RedisFailureLimiter } from './redis-failure-limiter';
import { WhoamiController } from './whoami.controller';

/**
 * Credentials: API keys, the failed-credential limiter, and (api, with ENGRAM_OAUTH_ENABLED) OAuth 2.1 for
 * MCP connectors. The worker authenticates its small HTTP port with the same keys, without the routes.
 */
@Module({})
export class AuthModule {
  static forRoot(config: AppConfig, role: 'api' | 'worker' = 'api'): DynamicModule {
    const api = role === 'api';
    const oauth = api && config.oauth.enabled;
    return {
      module: AuthModule,
      imports: [StorageModule],
      controllers: api
        ? [ApiKeysController, WhoamiController, ...(oauth ? [OAuthController, OAuthClientsController] : [])]
        : [],
      providers: [
        ApiKeyService,
        Authenticator,
        {
          // With Redis, replicas count failed credentials together.
          provide: FAILURE_LIMITER,
          inject: [RedisKeys],
          useFactory: (keys: RedisKeys): FailureLimiter =>
            config.redis.url ? new RedisFailureLimiter(config.redis.url, keys) : new InMemoryFailureLimiter(),
        },
        ...(oauth
          ? [OAuthService, PendingConsents, { provide: ACCESS_TOKEN_RESOLVER, useExisting: OAuthService }]
          : []),
      ],
      exports: [ApiKeyService, Authenticator, FAILURE_LIMITER],
    };
  }
}
