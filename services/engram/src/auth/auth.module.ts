import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '../config/config.types';
import { RedisKeys } from '../config/redis-keys';
import { StorageModule } from '../storage/storage.module';
import { Authenticator } from './authenticator';
import { CredentialWatch } from './credential-watch';
import { DATABASE_FAILURE_LIMITER, FAILURE_LIMITER, FailureLimiter } from './failure-limiter';
import { ApiKeyService } from './keys/api-key.service';
import { ApiKeysController } from './keys/api-keys.controller';
import { WhoamiController } from './whoami.controller';

/**
 * Credentials: API keys and the failed-credential limiter; OAuth 2.1 for MCP connectors is OAuthModule's
 * (api, with ENGRAM_OAUTH_ENABLED). The worker authenticates its small HTTP port with the same keys,
 * without the routes. Global, so OAuthModule reaches the Authenticator and the limiter.
 */
@Module({})
export class AuthModule {
  static forRoot(config: AppConfig, role: 'api' | 'worker' = 'api'): DynamicModule {
    const api = role === 'api';
    return {
      module: AuthModule,
      global: true,
      imports: [StorageModule],
      controllers: api ? [ApiKeysController, WhoamiController] : [],
      providers: [
        ApiKeyService,
        Authenticator,
        CredentialWatch,
        {
          // Every process counts failed credentials together: in Redis, else in the database they share.
          provide: FAILURE_LIMITER,
          inject: [RedisKeys, DATABASE_FAILURE_LIMITER],
          useFactory: async (keys: RedisKeys, database: FailureLimiter): Promise<FailureLimiter> => {
            if (!config.redis.url) return database;
            const { RedisFailureLimiter } = await import('./redis-failure-limiter.js'); // ioredis, only with Redis
            return new RedisFailureLimiter(config.redis.url, keys);
          },
        },
      ],
      exports: [ApiKeyService, Authenticator, CredentialWatch, FAILURE_LIMITER],
    };
  }
}
