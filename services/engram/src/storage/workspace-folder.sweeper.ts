import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { removeAbandonedWorkspaceFolders } from './workspace-folders';

/** How often a running api or worker looks again: a process beside it on the host may die meanwhile. */
const SWEEP_EVERY_MS = 10 * 60 * 1000;

/**
 * Removes the agent workspace folders of processes that are gone (removeAbandonedWorkspaceFolders): once
 * when an api or a worker starts, in the background after its ready line, then every 10 minutes. Never
 * fails the process: a folder not removed now is removed by the next look.
 */
@Injectable()
export class WorkspaceFolderSweeper implements OnApplicationShutdown {
  private readonly logger = new Logger('Storage');
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  start(): void {
    this.sweeping = this.sweep();
    this.timer = setInterval(() => (this.sweeping = this.sweep()), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  private async sweep(): Promise<void> {
    try {
      const { removed, failed } = await removeAbandonedWorkspaceFolders();
      for (const path of removed) this.logger.log({ msg: 'Abandoned agent workspace folder removed', path });
      for (const { path, error } of failed) {
        this.logger.warn({ msg: 'Abandoned agent workspace folder not removed', path, error });
      }
    } catch (error) {
      this.logger.warn({ msg: 'Abandoned agent workspace folders not removed', error: (error as Error).message });
    }
  }
}
