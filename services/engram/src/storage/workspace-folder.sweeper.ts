import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { removeOldBuildTempFolders } from './old-build-temp-folders';
import { removeAbandonedWorkspaceFolders, WorkspaceSweep } from './workspace-folders';

/** How often a running process looks again: a process beside it on the host may die meanwhile. */
const SWEEP_EVERY_MS = 10 * 60 * 1000;

/**
 * Removes what killed processes left in the OS temporary folder: the agent workspace folders of processes
 * that are gone (removeAbandonedWorkspaceFolders) and older builds' folders untouched for a day
 * (removeOldBuildTempFolders). Started by every process that can make workspace folders, so a host with no
 * api or worker loses them too: an api or worker in the background after its ready line, `engram mcp` once
 * it serves, a command running jobs once its context is up (withJobQueue); once at start, then every 10
 * minutes while the process runs, and a shutdown waits for a sweep under way. Never fails the process: a
 * folder not removed now is removed by the next look.
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
