import { INestApplicationContext, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppConfig } from '../config/config.types';
import { WorkerModule } from './worker.module';

/** The job-running application context of the worker or an operator command. */
export function createWorkerContext(
  config: AppConfig,
  role: 'worker' | 'cli',
  logger: LoggerService | false,
): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(WorkerModule.forRoot(config, role), { logger, abortOnError: false });
}
