import { DynamicModule } from '@nestjs/common';
import { BackupsModule } from './backups/backups.module';
import { ConflictsModule } from './conflicts/conflicts.module';
import { ConsolidationModule } from './consolidation/consolidation.module';
import { ImportsModule } from './imports/imports.module';
import { ReindexModule } from './reindex/reindex.module';
import { JobsModule } from './jobs/jobs.module';
import { ProcessRole } from './jobs/process-role';

/**
 * The queue and every module that registers processors, for one entrypoint (api, worker or CLI).
 * `schedules`: this entrypoint may own the job schedules (see SCHEDULES_JOBS).
 */
export function jobModules(role: ProcessRole, { schedules = false } = {}): DynamicModule[] {
  return [
    JobsModule.forRoot(role, schedules),
    BackupsModule.forRole(role),
    ReindexModule.forRole(role),
    ImportsModule.forRole(role),
    ConflictsModule.forRole(role),
    ConsolidationModule.forRole(role),
  ];
}
