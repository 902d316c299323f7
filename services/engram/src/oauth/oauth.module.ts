import { Global, Module } from '@nestjs/common';
import { ACCESS_TOKEN_RESOLVER } from '../auth/authenticator';
import { StorageModule } from '../storage/storage.module';
import { OAuthClientsController } from './oauth-clients.controller';
import { OAuthController } from './oauth.controller';
import { OAuthService } from './oauth.service';
import { PendingConsents } from './pending-consents';

/**
 * OAuth 2.1 for MCP connectors (the api, with ENGRAM_OAUTH_ENABLED): its routes, the service and the
 * pending consents. Global, so AuthModule's Authenticator finds the access-token resolver without the two
 * modules importing each other (this one uses AuthModule's Authenticator and failure limiter, also global).
 */
@Global()
@Module({
  imports: [StorageModule],
  controllers: [OAuthController, OAuthClientsController],
  providers: [OAuthService, PendingConsents, { provide: ACCESS_TOKEN_RESOLVER, useExisting: OAuthService }],
  exports: [ACCESS_TOKEN_RESOLVER],
})
export class OAuthModule {}
