import { DynamicModule, Global, Module } from '@nestjs/common';
import { SQLITE_DATABASE, StorageModule } from '../storage/storage.module';
import { SqliteDatabase } from '../storage/sqlite.connection';
import { AuditController } from './audit.controller';
import { AUDIT_REPOSITORY } from './audit.repository';
import { AuditService } from './audit.service';
import { SqliteAuditRepository } from './sqlite-audit.repository';

/** The audit log for every process (services record into it); the api also serves GET /api/admin/audit. */
@Global()
@Module({})
export class AuditModule {
  static forRoot(role: 'api' | 'worker'): DynamicModule {
    return {
      module: AuditModule,
      imports: [StorageModule],
      controllers: role === 'api' ? [AuditController] : [],
      providers: [
        AuditService,
        {
          provide: AUDIT_REPOSITORY,
          inject: [SQLITE_DATABASE],
          useFactory: (db: SqliteDatabase) => new SqliteAuditRepository(db),
        },
      ],
      exports: [AuditService],
    };
  }
}
