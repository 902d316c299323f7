import { Injectable, OnModuleDestroy } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { currentContext } from './request-context';

/**
 * How often the credentials of open streams are checked again. A key revoked or expired elsewhere (the
 * CLI, another replica) ends its streams within this; one revoked or created through this process's
 * REST routes at once (recheckNow).
 */
export const CREDENTIAL_RECHECK_MS = 10_000;

interface Watched {
  stillAdmitted: () => Promise<boolean>;
  refused: () => void;
}

/**
 * Long-lived responses (event streams, MCP listen streams) were admitted once, when they opened: without
 * a second look, a revoked or expired key, or keyless access ended by the first key, would keep
 * receiving. Each watched response's credential is checked again every CREDENTIAL_RECHECK_MS, and a
 * response whose credential would no longer be admitted is ended.
 */
@Injectable()
export class CredentialWatch implements OnModuleDestroy {
  private readonly watched = new Set<Watched>();
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private following: Promise<void> | undefined;

  /**
   * Watches the current request's credential while `response` is open; `refused` ends the response.
   * Requests with nothing to check again (stdio, the worker, the CLI) are not watched.
   */
  watch(response: ServerResponse, refused: () => void): void {
    const { stillAdmitted } = currentContext();
    if (!stillAdmitted || response.destroyed) return;
    const entry = { stillAdmitted, refused };
    this.watched.add(entry);
    response.once('close', () => this.watched.delete(entry));
    if (!this.timer) {
      this.timer = setInterval(() => void this.recheckNow(), CREDENTIAL_RECHECK_MS);
      this.timer.unref();
    }
  }

  /**
   * Checks every watched credential now (a key was revoked or created here), one round at a time: a
   * round under way may already have passed the credential that changed, so one more follows it.
   */
  recheckNow(): Promise<void> {
    if (!this.checking) return this.round();
    this.following ??= this.checking.then(() => {
      this.following = undefined;
      return this.round();
    });
    return this.following;
  }

  private round(): Promise<void> {
    this.checking = this.recheck().finally(() => (this.checking = undefined));
    return this.checking;
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  private async recheck(): Promise<void> {
    for (const entry of [...this.watched]) {
      if (!this.watched.has(entry) || (await entry.stillAdmitted())) continue;
      this.watched.delete(entry);
      entry.refused();
    }
  }
}
