import { Worker } from 'node:worker_threads';
import { workerStackSizeMb } from './worker-stack';

/**
 * Messages a pool worker script speaks. The worker posts `ready` once its model is loaded (with
 * optional `info`, e.g. which engine it chose) or `failed` if it cannot load it, then answers each
 * `{ id, payload }` with `{ id, result }` or `{ id, error }`. After `failed` it closes its port and
 * ends on its own, once whatever its loading had in flight is done (see spawn).
 */
export type WorkerReply<Result> =
  | { type: 'ready'; info?: unknown }
  | { type: 'failed'; message: string }
  | { type: 'done'; id: number; result: Result }
  | { type: 'error'; id: number; message: string };

interface Job<Payload, Result> {
  id: number;
  payload: Payload;
  transfer: ArrayBuffer[];
  resolve(result: Result): void;
  reject(error: Error): void;
}

interface Slot<Payload, Result> {
  worker: Worker;
  info?: unknown;
  job?: Job<Payload, Result>;
  /** Set while close() waits for this worker's job to end. */
  jobEnded?: () => void;
}

/** How long a worker that failed to load has to end on its own before it is stopped. */
const FAILED_WORKER_GRACE_MS = 30_000;
/** How long close() waits for a busy worker to finish its job before stopping it anyway. */
const CLOSE_GRACE_MS = 10_000;
/** Sized for onnxruntime's start-up, which every model worker runs (see worker-stack.ts). */
const STACK_SIZE_MB = workerStackSizeMb();

/** `urgent` jobs (a search's query) start before every queued `normal` one (ingest batches). */
export type JobPriority = 'urgent' | 'normal';

/**
 * A fixed set of worker threads running one script, each taking one job at a time from shared
 * queues, urgent jobs first. A worker that dies is replaced, so one crash costs one job, not the pool.
 */
export class WorkerPool<Payload, Result> {
  private readonly idle: Slot<Payload, Result>[] = [];
  private readonly slots = new Set<Slot<Payload, Result>>();
  private readonly urgent: Job<Payload, Result>[] = [];
  private readonly queue: Job<Payload, Result>[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly script: string,
    private readonly size: number,
    private readonly workerData?: unknown,
    private readonly closeGraceMs = CLOSE_GRACE_MS,
  ) {
    if (!Number.isInteger(size) || size < 1)
      throw new Error(`Worker pool size must be a positive integer, got ${size}`);
  }

  /** Starts every worker and resolves when all have loaded; rejects (and stops them) if one cannot. */
  async start(): Promise<void> {
    const starting = Array.from({ length: this.size }, () => this.spawn());
    const outcomes = await Promise.allSettled(starting);
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure) {
      await this.close();
      throw failure.reason;
    }
  }

  /** Number of live worker threads. */
  get threads(): number {
    return this.slots.size;
  }

  /** The `info` each live worker sent with `ready`. */
  get infos(): unknown[] {
    return [...this.slots].map((slot) => slot.info);
  }

  run(payload: Payload, transfer: ArrayBuffer[] = [], priority: JobPriority = 'normal'): Promise<Result> {
    if (this.closed) return Promise.reject(new Error('Worker pool is closed'));
    return new Promise<Result>((resolve, reject) => {
      (priority === 'urgent' ? this.urgent : this.queue).push({
        id: this.nextId++,
        payload,
        transfer,
        resolve,
        reject,
      });
      this.dispatch();
    });
  }

  /**
   * Rejects every job not yet answered and stops the threads. A thread busy with a job is stopped only
   * once that job ends (or after the grace period): a thread stopped inside a native call, such as
   * onnxruntime's run, aborts the whole process ("terminate called after throwing an instance of
   * 'Napi::Error'"), which closing the local embedder mid-batch did every time.
   */
  async close(): Promise<void> {
    this.closed = true;
    const error = new Error('Worker pool closed');
    for (const job of this.waiting()) job.reject(error);
    const slots = [...this.slots];
    this.slots.clear();
    this.idle.length = 0;
    await Promise.all(
      slots.map(async (slot) => {
        if (slot.job) {
          slot.job.reject(error);
          await this.jobEnd(slot);
        }
        await slot.worker.terminate();
      }),
    );
  }

  /** Resolves when the slot's job ends (answered, or its thread exited), or after the grace period. */
  private jobEnd(slot: Slot<Payload, Result>): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.closeGraceMs);
      slot.jobEnded = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private spawn(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const worker = new Worker(this.script, {
        workerData: this.workerData,
        resourceLimits: { stackSizeMb: STACK_SIZE_MB },
      });
      const slot: Slot<Payload, Result> = { worker };
      let ready = false;
      worker.on('message', (reply: WorkerReply<Result>) => {
        if (reply.type === 'ready') {
          ready = true;
          slot.info = reply.info;
          if (this.closed) return;
          this.slots.add(slot);
          this.makeIdle(slot);
          resolve();
        } else if (reply.type === 'failed') {
          // Not terminated: a load can fail on one file while onnxruntime still reads another on that
          // thread, and a thread stopped inside a native call can abort the whole process. The worker
          // ends itself; only one still running after the grace period is stopped.
          setTimeout(() => void worker.terminate(), FAILED_WORKER_GRACE_MS).unref();
          reject(new Error(reply.message));
        } else {
          this.finish(slot, reply);
        }
      });
      worker.on('error', (error) => {
        if (!ready) reject(error);
        else slot.job?.reject(error);
        slot.job = undefined;
      });
      worker.on('exit', (code) => {
        slot.jobEnded?.();
        if (!ready) {
          reject(new Error(`Worker exited with code ${code} before it was ready`));
          return;
        }
        if (!this.slots.delete(slot)) return;
        const idleAt = this.idle.indexOf(slot);
        if (idleAt >= 0) this.idle.splice(idleAt, 1);
        slot.job?.reject(new Error(`Worker thread exited with code ${code}`));
        if (this.closed) return;
        // A replacement keeps the pool at its size; if even that fails, queued work cannot run.
        this.spawn().catch((error: Error) => {
          if (this.slots.size > 0) return;
          for (const job of this.waiting()) job.reject(error);
        });
      });
    });
  }

  private finish(slot: Slot<Payload, Result>, reply: Exclude<WorkerReply<Result>, { type: 'ready' | 'failed' }>): void {
    const job = slot.job;
    slot.job = undefined;
    if (job && job.id === reply.id) {
      if (reply.type === 'done') job.resolve(reply.result);
      else job.reject(new Error(reply.message));
    }
    if (this.closed) return slot.jobEnded?.();
    this.makeIdle(slot);
  }

  /**
   * An idle worker does not keep the process alive (so an app that fails to start, or a CLI that is
   * done, can exit without closing the pool); a busy one does, so awaited work is never cut short.
   */
  private makeIdle(slot: Slot<Payload, Result>): void {
    slot.worker.unref();
    this.idle.push(slot);
    this.dispatch();
  }

  /** Empties both queues, returning what they held. */
  private waiting(): Job<Payload, Result>[] {
    return [...this.urgent.splice(0), ...this.queue.splice(0)];
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.urgent.length + this.queue.length > 0) {
      const slot = this.idle.shift()!;
      const job = (this.urgent.length > 0 ? this.urgent : this.queue).shift()!;
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage({ id: job.id, payload: job.payload }, job.transfer);
    }
  }
}
