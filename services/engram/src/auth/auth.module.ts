import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AppConfig } from '../config/config.types';
import { OAuthClientsController } from '../oauth/oauth-clients.controller';
import { OAuthController } from '../oauth/oauth.controller';
import { OAuthService } from '../oauth/oauth.service';
import { StorageModule } from '../storage/storage.module';
import { ACCESS_TOKEN_RESOLVER, Authenticator } from './authenticator';
import { ApiKeyService } from './keys/api-key.service';
import { ApiKeysController } from './keys/api-keys.controller';
import { ScopeGuard } from './scope.guard';
import { WhoamiController } from './whoami.controller';

/** Credentials (API keys; OAuth 2.1 for MCP connectors when ENGRAM_OAUTH_ENABLED) and the scope guard. */
@Module({})
export class AuthModule {
  static forRoot(config: AppConfig): DynamicModule {
    const oauth = config.oauth.enabled;
    return {
      module: AuthModule,
      imports: [StorageModule],
      controllers: [ApiKeysController, WhoamiController, ...(oauth ? [OAuthController, OAuthClientsController] : [])],
      providers: [
        ApiKeyService,
        Authenticator,
        { provide: APP_GUARD, useClass: ScopeGuard },
        ...(oauth ? [OAuthService, { provide: ACCESS_TOKEN_RESOLVER, useExisting: OAuthService }] : []),
      ],
      exports: [ApiKeyService, Authenticator],
    };
  }
}
