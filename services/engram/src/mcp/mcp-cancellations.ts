import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { McpCancellationRepository } from '../storage/mcp-cancellation.repository';
import type { CallTracker } from './mcp-catalog';
import { callerKey, credentialKey } from './mcp-caller';

/** How often a process with calls running looks for cancellations other processes received. */
const POLL_MS = 250;
/** Unclaimed cancellations kept per credential (see McpCancellationRepository.record). */
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
export class McpCancellations implements CallTracker, OnApplicationShutdown {
  private readonly running = new Map<string, RunningCall>();
  private poller: NodeJS.Timeout | undefined;
  private seenSeq = 0;

  constructor(private readonly repository: McpCancellationRepository) {}

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
  cancel(requestId: string | number, reason = 'cancelled by the client'): void {
    const caller = callerKey();
    const call = this.running.get(keyOf(caller, requestId));
    if (call) call.controller.abort(reason);
    else this.repository.record(credentialKey(), caller, JSON.stringify(requestId), Date.now(), KEEP_PER_CREDENTIAL);
  }

  onApplicationShutdown(): void {
    this.stopPolling();
  }

  private startPolling(): void {
    if (this.poller) return;
    this.seenSeq = this.repository.latestSeq();
    this.poller = setInterval(() => this.claimRecorded(), POLL_MS);
    this.poller.unref();
  }

  private stopPolling(): void {
    clearInterval(this.poller);
    this.poller = undefined;
  }

  private claimRecorded(): void {
    for (const row of this.repository.since(this.seenSeq)) {
      this.seenSeq = row.seq;
      const call = this.running.get(`${row.caller}\u0000${row.requestId}`);
      if (call && call.startedAtMs <= row.requestedAtMs) call.controller.abort('cancelled by the client');
    }
  }
}

function keyOf(caller: string, requestId: string | number): string {
  return `${caller}\u0000${JSON.stringify(requestId)}`;
}
