import type { ServerResponse } from 'node:http';

export type CloseReason = 'client_closed' | 'slow_client' | 'server_shutdown' | 'credential_refused';

/**
 * One open SSE response with a bounded send buffer: a client that leaves more than `maxBufferedBytes`
 * unread is disconnected rather than allowed to grow the server's memory (it reconnects and replays).
 */
export class SseConnection {
  private closed = false;

  constructor(
    private readonly response: ServerResponse,
    private readonly maxBufferedBytes: number,
    private readonly onClose: (reason: CloseReason) => void,
  ) {
    response.once('close', () => this.finish('client_closed'));
  }

  /** Writes `frames` unless the client is too far behind, in which case it is dropped; false when not sent. */
  write(frames: string): boolean {
    if (this.closed) return false;
    if (this.response.writableLength + Buffer.byteLength(frames) > this.maxBufferedBytes) {
      this.finish('slow_client');
      this.response.destroy();
      return false;
    }
    this.response.write(frames);
    return true;
  }

  /** Ends the stream cleanly, after `lastFrames` (a notice saying why) when given. */
  end(reason: CloseReason = 'server_shutdown', lastFrames?: string): void {
    if (this.closed) return;
    this.finish(reason);
    this.response.end(lastFrames);
  }

  private finish(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(reason);
  }
}
