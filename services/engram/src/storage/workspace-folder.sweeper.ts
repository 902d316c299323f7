import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { removeOldBuildTempFolders } from './old-build-temp-folders';
import { removeAbandonedWorkspaceFolders, WorkspaceSweep } from './workspace-folders';

/** How often a running process looks again: a process beside it on the host may die meanwhile. */
const SWEEP_EVERY_MS = 10 * 60 * 1000;

/**
 * Removes what killed processes left in the OS temporary folder: the agent workspace folders of processes
 * that are gone (removeAbandonedWorkspaceFolders) and older builds' folders untouched for a day
 * (removeOldBuildTempFolders): once when an api or a worker starts, in the background after its ready line,
 * then every 10 minutes. Never fails the process: a folder not removed now is removed by the next look.
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
    await this.removeLogged('Abandoned agent workspace folder', removeAbandonedWorkspaceFolders);
    await this.removeLogged("Older build's abandoned temporary folder", removeOldBuildTempFolders);
  }

  private async removeLogged(what: string, remove: () => Promise<WorkspaceSweep>): Promise<void> {
    try {
      const { removed, failed } = await remove();
      for (const path of removed) this.logger.log({ msg: `${what} removed`, path });
      for (const { path, error } of failed) this.logger.warn({ msg: `${what} not removed`, path, error });
    } catch (error) {
      this.logger.warn({ msg: `${what}s not removed`, error: (error as Error).message });
    }
  }
}
