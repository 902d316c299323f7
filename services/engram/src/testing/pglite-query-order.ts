/**
 * pglite-socket 0.2.17 multiplexes every connection onto PGlite's one session, message by message; it
 * keeps one connection's messages together only inside a transaction. Outside one, two connections'
 * extended-protocol queries (Parse, Bind, Describe, Execute … Sync) interleave, and one connection's
 * unnamed statement replaces the other's: "unnamed prepared statement does not exist". A real server
 * gives each connection its own session, so this is a test-server artefact. This replaces the queue's
 * scheduling so a connection that started a sequence keeps the session until its Sync (as it does for a
 * transaction); everything else about the queue stays as the library has it.
 */
interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  resolve(bytes: number): void;
  reject(error: unknown): void;
  onData(data: Uint8Array): void;
}

interface QueryQueue {
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  db: {
    isInTransaction(): boolean;
    runExclusive<T>(work: () => Promise<T>): Promise<T>;
    execProtocolRawStream(message: Uint8Array, options: { onRawData(data: Uint8Array): void }): Promise<unknown>;
  };
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
}

/** Messages that end an extended-protocol sequence (Sync) or are a whole query on their own (Query). */
const SEQUENCE_END = new Set(['S'.charCodeAt(0), 'Q'.charCodeAt(0)]);
/** Messages that start or continue a sequence: Parse, Bind, Describe, Execute, Close, Flush. */
const SEQUENCE_PART = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((letter) => letter.charCodeAt(0)));

export function keepQuerySequencesTogether(queue: QueryQueue): void {
  let owner: number | null = null;
  const clear = queue.clearQueueForHandler.bind(queue);
  queue.clearQueueForHandler = (handlerId) => {
    if (owner === handlerId) owner = null;
    clear(handlerId);
  };
  queue.processQueue = async function (this: QueryQueue) {
    if (this.processing || this.queue.length === 0) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const holder = owner ?? (this.db.isInTransaction() ? this.lastHandlerId : null);
        const index = holder === null ? 0 : this.queue.findIndex((item) => item.handlerId === holder);
        if (index === -1) break; // the holder's next message has not arrived yet: it comes with a new enqueue
        const [item] = this.queue.splice(index, 1);
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (data) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
        } catch (error) {
          owner = null;
          item.reject(error);
          continue;
        }
        const type = item.message[0];
        if (SEQUENCE_END.has(type)) owner = null;
        else if (SEQUENCE_PART.has(type)) owner = item.handlerId;
        this.lastHandlerId = item.handlerId;
        item.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  };
}
