import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { JobProcessors } from '../jobs/job-processor';
import { ProcessRole } from '../jobs/process-role';
import { MemoriesModule } from '../memories/memories.module';
import { StorageModule } from '../storage/storage.module';
import { ConflictScanProcessor } from './conflict-scan.processor';
import { ConflictScannerModule } from './conflict-scanner.module';
import { ConflictService } from './conflict.service';
import { ConflictsController } from './conflicts.controller';

/** Contradiction review: proposals, decisions, the scan job's processor, and the routes (api only). */
@Module({})
export class ConflictsModule implements OnModuleInit {
  private static readonly byRole = new Map<ProcessRole, DynamicModule>();

  constructor(
    private readonly processors: JobProcessors,
    private readonly processor: ConflictScanProcessor,
  ) {}

  static forRole(role: ProcessRole): DynamicModule {
    const existing = ConflictsModule.byRole.get(role);
    if (existing) return existing;
    const module: DynamicModule = {
      module: ConflictsModule,
      imports: [StorageModule, MemoriesModule, ConflictScannerModule],
      controllers: role === 'api' ? [ConflictsController] : [],
      providers: [ConflictService, ConflictScanProcessor],
      exports: [ConflictService],
    };
    ConflictsModule.byRole.set(role, module);
    return module;
  }

  onModuleInit(): void {
    this.processors.register(this.processor);
  }
}
