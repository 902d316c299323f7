import { readdirSync } from 'node:fs';
import { removeAbandonedTemporaries } from '../common/durable-file';
import { basename, dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { annIndexPaths, LOG_POSITION_SQL, LogPosition, removeQuietly } from './ann-index-file';
import type { AnnReply, AnnRequest, AnnStatus, AnnWorkerOptions } from './ann-index.worker';
import { MemoryFilter } from './memory-filter.sql';
import { PreparedStatements } from './prepared-statements';
import { ScoredId } from './search.store';
import { SqliteDatabase } from './sqlite.connection';

export interface AnnIndexOptions {
  /** The database file; the index is saved beside it. */
  databasePath: string;
  /** Threads a build may use. */
  buildThreads?: number;
  /** Changes applied since the last save that trigger a save. */
  saveEveryChanges?: number;
  log?: (message: string) => void;
}

/** Logged changes past which a search does not wait for catch-up but uses the Hamming path. */
export const MAX_PENDING_CHANGES = 2_000;
const SAVE_EVERY_CHANGES = 10_000;
const SAVE_EVERY_MS = 5 * 60_000;
/**
 * A safety net only: the thread answers in order, and no search is sent while it reports a save, so only
 * a search sent as a save begins waits for it (seconds at a million vectors). Past this, the other path.
 */
const ANSWER_TIMEOUT_MS = 10_000;
/** How long closing waits for the thread to save what changed (seconds at a million vectors). */
const CLOSE_SAVE_TIMEOUT_MS = 30_000;
/** How long closing waits for a load or build to reach its next step and end its thread (a step: < 1 s at 1M). */
const CLOSE_STOP_TIMEOUT_MS = 10_000;

type State = 'idle' | AnnStatus | 'closed';

/**
 * What the index found for a search: the candidates the filter admits, nearest first by exact distance, and
 * every memory whose vector changed since the index last caught up (the caller checks and scores those).
 */
export interface AnnCandidates {
  admitted: ScoredId[];
  /** Ids the index returned: fewer than asked means it holds no more. */
  found: number;
  /** Of those, how many were checked against the filter (the rest were not needed). */
  checked: number;
  changed: number[];
}

/**
 * An HNSW index (usearch) of every stored vector, all namespaces together, kept beside the database
 * (`<db>.usearch` and a header, see ann-index-file.ts). It is only a source of candidates: the search
 * checks every one against the namespace and filter in SQL and re-scores it from the full-precision blob,
 * so a stale or damaged index costs recall, never a wrong or foreign row.
 *
 * The index lives on a thread of its own (ann-index.worker.ts), started by the first search that could
 * use it: loading or building it, applying logged changes, and saving it (each seconds at a million
 * vectors) never hold up this thread, which only sends searches and reads what changed since the
 * index's position. A saved index of this model, epoch and parameters is loaded and caught up from
 * `vector_changes`; anything else (missing, corrupt, another model, a log that no longer reaches back)
 * is rebuilt while searches use the Hamming path. Until the index has caught up, the changed memories are
 * scored exactly beside its candidates. Saved every SAVE_EVERY_CHANGES changes or SAVE_EVERY_MS, and on
 * close.
 */
export class AnnIndex {
  private readonly statements: PreparedStatements;
  private readonly log: (message: string) => void;
  /** Shared with the thread: set when closing, so a load or build ends the thread itself (AnnWorkerOptions). */
  private readonly closing = new Int32Array(new SharedArrayBuffer(4));
  private state: State = 'idle';
  private worker: Worker | undefined;
  private indexed = 0;
  private seq = 0;
  private epoch: string | null = null;
  private nextRequest = 1;
  private readonly answers = new Map<number, (reply: AnnReply | undefined) => void>();
  private readonly readyWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  /** Searches waiting out a load or a save (see readyWithin), told whenever the state changes. */
  private readonly settleWaiters = new Set<() => void>();

  constructor(
    db: SqliteDatabase,
    private readonly options: AnnIndexOptions,
  ) {
    this.statements = new PreparedStatements(db);
    this.log = options.log ?? (() => undefined);
  }

  /** True once the index is loaded or built (it may still be catching up) and not being saved. */
  get ready(): boolean {
    return this.state === 'ready';
  }

  /** Vectors in the index (removed ones excluded), as last reported by its thread. */
  get size(): number {
    return this.indexed;
  }

  /**
   * The `count` ids nearest to the vector, checked against the filter nearest first until `enough` pass,
   * those re-scored exactly, with the ids changed since the index's position; all on the index's thread,
   * so this one is free meanwhile. Undefined while the index is not ready, further behind than
   * MAX_PENDING_CHANGES, following a rewritten log, or slow to answer (the caller then uses another
   * path). Starts the index on first use.
   */
  async candidates(
    vector: Float32Array,
    count: number,
    filter: MemoryFilter,
    enough: number,
  ): Promise<AnnCandidates | undefined> {
    if (this.state !== 'ready') {
      this.start();
      return undefined;
    }
    const position = this.logPosition();
    if (!follows(position, this.seq, this.epoch)) {
      this.log(
        'Vector index dropped: the vectors were rewritten (restore or reindex) or the change log no longer reaches back',
      );
      this.enter('building'); // its thread notices too, and rebuilds
      this.send({ kind: 'catch-up' });
      return undefined;
    }
    if (position.latest - this.seq > MAX_PENDING_CHANGES) {
      this.send({ kind: 'catch-up' });
      return undefined;
    }
    const reply = await this.ask((id) => ({ kind: 'search', id, vector, count, filter, enough }));
    if (reply?.kind !== 'found' || !reply.answer) return undefined;
    // Read after the answer: every change the index did not hold when it searched is scored exactly.
    const changed = this.statements
      .get('SELECT DISTINCT memory_id FROM vector_changes WHERE seq > ?')
      .pluck()
      .all(reply.seq) as number[];
    if (changed.length > 0) this.send({ kind: 'catch-up' });
    const { ids, distances, found, checked } = reply.answer;
    const admitted = Array.from(ids, (id, i) => ({ id, distance: distances[i] }));
    return { admitted, found, checked, changed };
  }

  /** Loads or builds the index on its thread (idempotent). */
  start(): void {
    if (this.state !== 'idle') return;
    this.enter('loading');
    removeAbandonedIndexFiles(this.options.databasePath).catch((error: Error) =>
      this.log(`Vector index: temporary files left by a crash not removed (${error.message})`),
    );
    const workerData: AnnWorkerOptions = {
      databasePath: this.options.databasePath,
      buildThreads: this.options.buildThreads ?? 1,
      saveEveryChanges: this.options.saveEveryChanges ?? SAVE_EVERY_CHANGES,
      saveEveryMs: SAVE_EVERY_MS,
      closing: this.closing,
    };
    const worker = new Worker(join(__dirname, 'ann-index.worker.js'), { workerData });
    this.worker = worker;
    worker.unref(); // see holdWhileAwaited
    worker.on('message', (reply: AnnReply) => this.receive(reply));
    worker.on('error', (error) => this.fail(worker, error.message));
    worker.on('exit', (code) => {
      if (this.worker === worker && this.state !== 'closed')
        this.fail(worker, `its thread stopped (exit code ${code})`);
    });
  }

  /**
   * Whether the index is ready now or within `timeoutMs`: waits only while it is loading a saved file or
   * saving (seconds at a million vectors); a build (minutes) or a failure answers false at once.
   */
  async readyWithin(timeoutMs: number): Promise<boolean> {
    const settling = (): boolean => this.state === 'loading' || this.state === 'saving';
    if (settling()) {
      const waiters = this.settleWaiters;
      await new Promise<void>((resolve) => {
        const finish = (): void => {
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve();
        };
        const waiter = (): void => {
          if (!settling()) finish();
        };
        const timer = setTimeout(finish, timeoutMs);
        waiters.add(waiter);
      });
    }
    return this.state === 'ready';
  }

  /** Resolves once the index is ready; rejects if it fails or nothing is stored (for the benchmark and tests). */
  whenReady(): Promise<void> {
    this.start();
    if (this.state === 'ready' || this.state === 'saving') return Promise.resolve();
    if (this.state === 'failed') return Promise.reject(new Error('The vector index build failed'));
    return new Promise((resolve, reject) => {
      this.readyWaiters.push({ resolve, reject });
      this.holdWhileAwaited();
    });
  }

  /** Resolves once every change logged so far is applied (for the benchmark and tests). */
  async caughtUp(): Promise<void> {
    await this.whenReady();
    await this.ask((id) => ({ kind: 'catch-up', id }), Number.POSITIVE_INFINITY);
  }

  /** Saves what changed since the last save (waiting a bounded time), stops a load or build in progress. */
  async close(): Promise<void> {
    const { worker, state } = this;
    this.enter('closed');
    this.worker = undefined;
    for (const answer of this.answers.values()) answer(undefined);
    this.answers.clear();
    if (!worker) return;
    // The thread ends itself: after saving when ready, at its next step when loading or building (it reads
    // no messages then). Stopped from here only if it has not ended in time.
    worker.ref();
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    Atomics.store(this.closing, 0, 1);
    worker.postMessage({ kind: 'close' } satisfies AnnRequest);
    const timeoutMs = state === 'ready' || state === 'saving' ? CLOSE_SAVE_TIMEOUT_MS : CLOSE_STOP_TIMEOUT_MS;
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    await worker.terminate();
    removeTemporaryIndexes(this.options.databasePath); // a save or build cut short leaves its file
  }

  private receive(reply: AnnReply): void {
    if (reply.kind === 'log') return this.log(reply.message);
    if (reply.kind === 'found' || reply.kind === 'caught-up') {
      const answer = this.answers.get(reply.id);
      this.answers.delete(reply.id);
      this.holdWhileAwaited();
      return answer?.(reply);
    }
    if (this.state === 'closed') return;
    if (reply.status === 'failed') return this.fail(this.worker, reply.reason ?? 'unknown error');
    if (reply.status === 'empty') {
      // Nothing stored yet: the next search that needs an index starts again.
      void this.worker?.terminate();
      this.worker = undefined;
      this.enter('idle');
      const empty = new Error('Nothing is stored yet, so there is no vector index to build');
      for (const waiter of this.readyWaiters.splice(0)) waiter.reject(empty);
      return;
    }
    this.indexed = reply.size;
    this.seq = reply.seq;
    this.epoch = reply.epoch;
    // A status sent before the thread saw the log rewritten is not ready: it rebuilds on its next look.
    const stale = reply.status === 'ready' && !follows(this.logPosition(), reply.seq, reply.epoch);
    this.enter(stale ? 'building' : reply.status);
    if (this.state === 'ready') {
      for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
      this.holdWhileAwaited();
    }
  }

  private enter(state: State): void {
    this.state = state;
    for (const waiter of [...this.settleWaiters]) waiter();
  }

  private fail(worker: Worker | undefined, message: string): void {
    if (this.state === 'closed' || this.state === 'failed') return;
    // Not retried until restart: an index that fails once would likely fail again, and scanning is correct.
    this.enter('failed');
    this.worker = undefined;
    void worker?.terminate();
    this.log(`Vector index failed (${message}); searches keep scanning`);
    for (const answer of this.answers.values()) answer(undefined);
    this.answers.clear();
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(new Error(`The vector index failed: ${message}`));
  }

  /** Sends a request that is answered by id; undefined when not answered within `timeoutMs`. */
  private ask(request: (id: number) => AnnRequest, timeoutMs = ANSWER_TIMEOUT_MS): Promise<AnnReply | undefined> {
    const worker = this.worker;
    if (!worker) return Promise.resolve(undefined);
    const id = this.nextRequest++;
    return new Promise((resolve) => {
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => {
            this.answers.delete(id);
            this.holdWhileAwaited();
            resolve(undefined);
          }, timeoutMs)
        : undefined;
      this.answers.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.holdWhileAwaited();
      worker.postMessage(request(id));
    });
  }

  /** The thread keeps the process alive only while something awaits it: an idle index never does. */
  private holdWhileAwaited(): void {
    if (this.answers.size > 0 || this.readyWaiters.length > 0) this.worker?.ref();
    else this.worker?.unref();
  }

  private send(request: AnnRequest): void {
    this.worker?.postMessage(request);
  }

  private logPosition(): LogPosition {
    return this.statements.get(LOG_POSITION_SQL).get() as LogPosition;
  }
}

/** Whether the log still continues an index at this position: same epoch, nothing after it pruned. */
function follows(position: LogPosition, seq: number, epoch: string | null): boolean {
  return position.epoch === epoch && (position.oldest === null || position.oldest <= seq + 1);
}

/**
 * Removes the temporary index and header files a process killed while it saved left beside the database,
 * any process's once abandoned (see removeAbandonedTemporaries: the worker or a command may be saving the
 * same index right now, and process ids mean nothing across containers).
 */
function removeAbandonedIndexFiles(databasePath: string): Promise<string[]> {
  const index = annIndexPaths(databasePath).index;
  const prefix = `${basename(index)}.`;
  return removeAbandonedTemporaries(dirname(index), {
    isTemporary: (name) => name.startsWith(prefix) && name.endsWith('.tmp'),
    recursive: false,
  });
}

/** Removes this process's temporary index files beside the database (see temporaryIndexPath). */
function removeTemporaryIndexes(databasePath: string): void {
  const index = annIndexPaths(databasePath).index;
  const prefix = `${basename(index)}.${process.pid}.`;
  for (const name of readdirSync(dirname(index))) {
    if (name.startsWith(prefix) && name.endsWith('.tmp')) removeQuietly(join(dirname(index), name));
  }
}
