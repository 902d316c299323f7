import { DynamicModule, Global, Module } from '@nestjs/common';
import { StorageModule } from '../storage/storage.module';
import { AuditController } from './audit.controller';
import { AuditService } from './audit.service';

/** The audit log for every process (services record into it); the api also serves GET /api/admin/audit. */
@Global()
@Module({})
export class AuditModule {
  static forRoot(role: 'api' | 'worker'): DynamicModule {
    return {
      module: AuditModule,
      imports: [StorageModule],
      controllers: role === 'api' ? [AuditController] : [],
      // The AuditRepository comes from the storage module, on whichever backend it opened.
      providers: [AuditService],
      exports: [AuditService],
    };
  }
}
