import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ImportRejected } from '../imports.errors';
import { ReadHeader, ReadRequest, ReadUnit } from './import-reading';

export type ReaderMessage =
  | { type: 'opened'; header: ReadHeader }
  | { type: 'unit'; unit: ReadUnit }
  | { type: 'done' }
  | { type: 'rejected'; message: string }
  | { type: 'failed'; message: string };

/**
 * Heap a reading pass may use. A file that needs more (a giant JSON element, a PDF built to blow up)
 * ends that pass with a clear refusal; the api process itself is never at risk.
 */
const READER_HEAP_MB = 768;
const WORKER_SCRIPT = join(__dirname, 'import-reading.worker.js');

/**
 * One reading pass over an import's input, run in its own worker thread (see the worker's header).
 * `open` resolves once the input is opened and its importer known; `units` then pulls what it holds,
 * one bounded unit at a time. Leaving the loop early (cancelled, failed), or `close`, stops the thread.
 * A step (opening, or the next unit) that takes longer than the request's `stepTimeoutMs` ends the
 * thread and refuses the import: the parsers a file goes through (HTML, PDF, CSV, YAML…) have slow
 * paths of their own that no check made beforehand can know all of, and a file built for one must
 * not hold an import, and a core, for ever.
 */
export class ImportReader {
  private stopped = false;

  private constructor(
    private readonly worker: Worker,
    private readonly inbox: Inbox,
    private readonly name: string,
    readonly header: ReadHeader,
  ) {}

  static async open(request: ReadRequest): Promise<ImportReader> {
    const worker = new Worker(WORKER_SCRIPT, {
      workerData: request,
      resourceLimits: { maxOldGenerationSizeMb: READER_HEAP_MB },
    });
    worker.unref(); // a reading pass never keeps a stopping process alive
    const inbox = new Inbox(worker, request.name, request.stepTimeoutMs);
    const first = await inbox.next();
    if (first.type !== 'opened') {
      await worker.terminate();
      throw unexpected(first, request.name);
    }
    return new ImportReader(worker, inbox, request.name, first.header);
  }

  async *units(): AsyncGenerator<ReadUnit> {
    let finished = false;
    try {
      for (;;) {
        this.worker.postMessage('pull');
        const message = await this.inbox.next();
        if (message.type === 'done') {
          finished = true;
          return;
        }
        if (message.type !== 'unit') throw unexpected(message, this.name);
        yield message.unit;
      }
    } finally {
      if (finished) {
        this.stopped = true;
        await this.worker.terminate();
      } else this.close();
    }
  }

  /** Lets the thread close what it opened, then ends it (at once if it is stuck in a long parse). */
  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.worker.postMessage('stop');
    const timer = setTimeout(() => void this.worker.terminate(), 1000);
    timer.unref();
    this.worker.once('exit', () => clearTimeout(timer));
  }
}

/**
 * Messages from the worker in order; a thread that dies becomes an error naming the file, and so does
 * one that sends nothing for `stepTimeoutMs` while a message is awaited (it is ended then).
 */
class Inbox {
  private readonly queue: ReaderMessage[] = [];
  private waiting: ((message: ReaderMessage) => void) | undefined;
  private ended: ReaderMessage | undefined;

  constructor(
    private readonly worker: Worker,
    private readonly name: string,
    private readonly stepTimeoutMs: number,
  ) {
    worker.on('message', (message: ReaderMessage) => this.deliver(message));
    worker.on('error', (error: Error & { code?: string }) => {
      const message =
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `${name} needs more memory to read than an import may use (${READER_HEAP_MB} MiB); split it or remove its largest part`
          : `reading ${name} failed: ${error.message}`;
      this.end({ type: error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'rejected' : 'failed', message });
    });
    worker.on('exit', (code) => this.end({ type: 'failed', message: `reading ${name} stopped (thread exit ${code})` }));
  }

  next(): Promise<ReaderMessage> {
    const queued = this.queue.shift() ?? this.ended;
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.stopSlowStep(), this.stepTimeoutMs);
      timer.unref();
      this.waiting = (message) => {
        clearTimeout(timer);
        resolve(message);
      };
    });
  }

  private stopSlowStep(): void {
    const seconds = this.stepTimeoutMs / 1000;
    this.end({
      type: 'rejected',
      message: `reading ${this.name} took more than ${seconds} s without progress (ENGRAM_IMPORT_READ_TIMEOUT_SECONDS): a file in it is built, or too large, to be read in time; split it or remove that file`,
    });
    void this.worker.terminate();
  }

  private deliver(message: ReaderMessage): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) waiting(message);
    else this.queue.push(message);
  }

  private end(message: ReaderMessage): void {
    if (this.ended) return;
    this.ended = message;
    this.deliver(message);
  }
}

function unexpected(message: ReaderMessage, name: string): Error {
  if (message.type === 'rejected') return new ImportRejected(message.message);
  if (message.type === 'failed') return new Error(message.message);
  return new Error(`reading ${name}: unexpected message ${message.type}`);
}
