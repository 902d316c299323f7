import { Logger } from '@nestjs/common';
import { JobRecordStore } from '../storage/job-record.store';

/** How often an api with jobs reads the cancels asked through other apis: one takes effect within about this. */
const CHECK_EVERY_MS = 1_000;

/**
 * The cancels asked of this api's jobs through other apis on the store (JobRecordStore.requestCancel), read
 * at a bounded cadence while this api has jobs waiting or running, not at every safe point of a job: a
 * job's safe points can come thousands of times a second. `onRequested` ends the jobs named.
 */
export class StoredCancels {
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private readonly logger = new Logger('Jobs');

  constructor(
    private readonly store: JobRecordStore,
    private readonly owner: string,
    private readonly hasUnendedJobs: () => boolean,
    private readonly onRequested: (ids: string[]) => Promise<void>,
    private readonly everyMs = CHECK_EVERY_MS,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.check(), this.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.checking;
  }

  /** One read at a time; a store that refuses it (busy) is read again at the next beat. */
  private check(): Promise<void> | undefined {
    if (this.checking || !this.hasUnendedJobs()) return this.checking;
    this.checking = this.readAndApply()
      .catch((error: Error) =>
        this.logger.warn({ msg: 'Cancels asked through other apis not read', error: error.message }),
      )
      .finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async readAndApply(): Promise<void> {
    const ids = await this.store.cancelsRequested(this.owner);
    if (ids.length > 0) await this.onRequested(ids);
  }
}
