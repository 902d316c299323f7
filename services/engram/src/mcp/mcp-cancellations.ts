import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { McpCancellationStore } from '../storage/mcp-cancellation.store';
import type { CallTracker } from './mcp-catalog';
import { callerKey, credentialKey } from './mcp-caller';

/** How often a process with calls running looks for cancellations other processes received. */
const POLL_MS = 250;
/** Unclaimed cancellations kept per credential (see McpCancellationStore.record). */
const KEEP_PER_CREDENTIAL = 100;

interface RunningCall {
  controller: AbortController;
  startedAtMs: number;
}

/**
 * Cancellation for 2025-era HTTP clients, which are served per request: their `notifications/cancelled`
 * arrives in a POST of its own, possibly at another api process than the call it names. A call running
 * here is stopped at once; otherwise the cancellation is written to the shared store, where the process
 * running the call finds it (it polls only while it has calls running). Calls are known by caller and
 * JSON-RPC id, as the client named them; a cancellation stops only a call that started before it.
 */
@Injectable()
export class McpCancellations implements CallTracker, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('McpCancellations');
  private readonly running = new Map<string, RunningCall>();
  private poller: NodeJS.Timeout | undefined;
  private polling = false;
  /**
   * The newest recorded cancellation this process has looked at. It starts at what was recorded before
   * the process started and is never reset, so a poll reads everything recorded since the last one, even
   * across pauses; a cancellation only stops a call that started before it, so old rows are harmless.
   */
  private seenSeq = 0;

  constructor(private readonly store: McpCancellationStore) {}

  async onModuleInit(): Promise<void> {
    this.seenSeq = await this.store.latestSeq();
  }

  track(requestId: string | number, signal: AbortSignal): { signal: AbortSignal; release(): void } {
    const key = keyOf(callerKey(), requestId);
    const controller = new AbortController();
    const forward = () => controller.abort(signal.reason);
    signal.addEventListener('abort', forward, { once: true });
    const call = { controller, startedAtMs: Date.now() };
    this.running.set(key, call);
    this.startPolling();
    return {
      signal: controller.signal,
      release: () => {
        signal.removeEventListener('abort', forward);
        if (this.running.get(key) === call) this.running.delete(key);
        if (this.running.size === 0) this.stopPolling();
      },
    };
  }

  /** A 2025-era `notifications/cancelled` from the current caller. */
  async cancel(requestId: string | number, reason = 'cancelled by the client'): Promise<void> {
    const caller = callerKey();
    const call = this.running.get(keyOf(caller, requestId));
    if (call) call.controller.abort(reason);
    else await this.store.record(credentialKey(), caller, JSON.stringify(requestId), Date.now(), KEEP_PER_CREDENTIAL);
  }

  onApplicationShutdown(): void {
    this.stopPolling();
  }

  private startPolling(): void {
    if (this.poller) return;
    this.poller = setInterval(() => void this.claimRecorded(), POLL_MS);
    this.poller.unref();
  }

  private stopPolling(): void {
    clearInterval(this.poller);
    this.poller = undefined;
  }

  private async claimRecorded(): Promise<void> {
    if (this.polling) return; // the previous poll is still waiting for the store
    this.polling = true;
    try {
      for (const row of await this.store.since(this.seenSeq)) {
        this.seenSeq = row.seq;
        const call = this.running.get(`${row.caller}\u0000${row.requestId}`);
        if (call && call.startedAtMs <= row.requestedAtMs) call.controller.abort('cancelled by the client');
      }
    } catch (error) {
      this.logger.warn({ msg: 'cancellations unreadable; trying again', error: (error as Error).message });
    } finally {
      this.polling = false;
    }
  }
}

function keyOf(caller: string, requestId: string | number): string {
  return `${caller}\u0000${JSON.stringify(requestId)}`;
}
