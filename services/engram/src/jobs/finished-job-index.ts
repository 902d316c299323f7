import { Logger } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { RedisKeys } from '../config/redis-keys';
import { jobNamespace } from './job.types';

/**
 * Each namespace's finished BullMQ jobs, newest kept (ENGRAM_JOBS_KEEP_FINISHED): a sorted set per namespace
 * (`<prefix>:jobs:finished:<namespace>`, `*` for whole-store jobs) scored by when each ended. BullMQ's own
 * removeOnComplete count is one for the whole queue, so one tenant's jobs pushed out another's; here a job's
 * end removes only its own namespace's oldest past the kept, so nothing a tenant sees depends on others' jobs.
 */
export class FinishedJobIndex {
  private readonly logger = new Logger('Jobs');

  constructor(
    private readonly client: Redis,
    private readonly keys: RedisKeys,
    private readonly bullQueue: Queue,
    private readonly keep: number,
  ) {}

  /**
   * Files a job that has ended for good, then removes its namespace's finished jobs past the kept. Adding
   * and reading the excess are one transaction; an id leaves the set only once its job is removed, so a
   * removal cut short (a crash) is done again at the namespace's next end.
   */
  async add(job: Job): Promise<void> {
    const key = this.keys.finishedJobs(jobNamespace(job.data));
    try {
      const replies = await this.client
        .multi()
        .zadd(key, job.finishedOn ?? Date.now(), job.id!)
        .zrange(key, 0, String(-(this.keep + 1)))
        .exec();
      const excess = (replies?.[1]?.[1] ?? []) as string[];
      for (const id of excess) {
        await this.bullQueue.remove(id);
        await this.client.zrem(key, id);
      }
    } catch (error) {
      // The job has ended either way; the namespace's next end removes what this one did not.
      this.logger.warn({ msg: 'Finished job not filed', job: job.id, error: (error as Error).message });
    }
  }

  /** The ids of the namespace's newest finished jobs, newest first. */
  newest(namespace: string, limit: number): Promise<string[]> {
    return this.client.zrevrange(this.keys.finishedJobs(namespace), 0, limit - 1);
  }
}
