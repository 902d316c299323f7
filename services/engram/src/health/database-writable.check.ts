import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { StorageInfoRepository } from '../storage/storage-info.repository';

/** The `database` readiness check, the api's and the worker's alike: the database accepts a write. */
export async function databaseWritable(
  health: HealthIndicatorService,
  storage: StorageInfoRepository,
): Promise<HealthIndicatorResult> {
  const check = health.check('database');
  try {
    await storage.checkWritable();
    return check.up();
  } catch (error) {
    return check.down({ message: `database is not writable: ${(error as Error).message}` });
  }
}
