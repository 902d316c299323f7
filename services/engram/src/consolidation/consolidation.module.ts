import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { JobProcessors } from '../jobs/job-processor';
import { ProcessRole } from '../jobs/process-role';
import { MemoriesModule } from '../memories/memories.module';
import { QualityModule } from '../quality/quality.module';
import { StorageModule } from '../storage/storage.module';
import { ConsolidationApplier } from './consolidation-applier';
import { ConsolidationPlanner } from './consolidation-planner';
import { ConsolidationController } from './consolidation.controller';
import { ConsolidationProcessor } from './consolidation.processor';
import { ConsolidationService } from './consolidation.service';
import { ExactDuplicates } from './exact-duplicates';

/** Consolidation: the run's processor (every role), proposal review and cleanup routes (api only). */
@Module({})
export class ConsolidationModule implements OnModuleInit {
  private static readonly byRole = new Map<ProcessRole, DynamicModule>();

  constructor(
    private readonly processors: JobProcessors,
    private readonly processor: ConsolidationProcessor,
  ) {}

  static forRole(role: ProcessRole): DynamicModule {
    const existing = ConsolidationModule.byRole.get(role);
    if (existing) return existing;
    const module: DynamicModule = {
      module: ConsolidationModule,
      imports: [StorageModule, MemoriesModule, QualityModule],
      controllers: role === 'api' ? [ConsolidationController] : [],
      providers: [
        ConsolidationService,
        ConsolidationPlanner,
        ConsolidationApplier,
        ConsolidationProcessor,
        ExactDuplicates,
      ],
      exports: [ConsolidationService, ExactDuplicates],
    };
    ConsolidationModule.byRole.set(role, module);
    return module;
  }

  onModuleInit(): void {
    this.processors.register(this.processor);
  }
}
