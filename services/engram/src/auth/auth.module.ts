import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { StorageModule } from '../storage/storage.module';
import { Authenticator } from './authenticator';
import { ApiKeyService } from './keys/api-key.service';
import { ApiKeysController } from './keys/api-keys.controller';
import { ScopeGuard } from './scope.guard';

@Module({
  imports: [StorageModule],
  controllers: [ApiKeysController],
  providers: [ApiKeyService, Authenticator, { provide: APP_GUARD, useClass: ScopeGuard }],
  exports: [ApiKeyService, Authenticator],
})
export class AuthModule {}
