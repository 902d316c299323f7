import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Index } from 'usearch';
import type { AnnBuildMessage, AnnBuildRequest } from './ann-build.worker';
import {
  annIndexPaths,
  createAnnIndex,
  publishAnnIndex,
  readAnnHeader,
  removeQuietly,
  temporaryIndexPath,
} from './ann-index-file';
import { PreparedStatements } from './prepared-statements';
import { SqliteDatabase } from './sqlite.connection';

export interface AnnIndexOptions {
  /** The database file; the index is saved beside it. */
  databasePath: string;
  /** Threads the background build may use. */
  buildThreads?: number;
  /** Changes applied since the last save that trigger a save. */
  saveEveryChanges?: number;
  log?: (message: string) => void;
}

/** Logged changes past which a search does not wait for catch-up but uses the Hamming path. */
export const MAX_PENDING_CHANGES = 2_000;
/** Longest stretch of catch-up work before the event loop gets a turn. */
const CATCH_UP_SLICE_MS = 15;
const CATCH_UP_ROWS = 256;
const SAVE_EVERY_CHANGES = 10_000;
const SAVE_EVERY_MS = 5 * 60_000;

type State = 'idle' | 'loading' | 'building' | 'ready' | 'failed' | 'closed';

/** Candidates from the index, and every memory whose vector changed since the index last caught up. */
export interface AnnCandidates {
  nearest: number[];
  changed: number[];
}

interface LogPosition {
  epoch: string | null;
  oldest: number | null;
  latest: number;
}

/**
 * An HNSW index (usearch) of every stored vector, all namespaces together, kept beside the database
 * (`<db>.usearch` and a header, see ann-index-file.ts). It is only a source of candidates: the search
 * checks every one against the namespace and filter in SQL and re-scores it from the full-precision blob,
 * so a stale or damaged index costs recall, never a wrong or foreign row.
 *
 * Lifecycle: started by the first search that could use it. A saved index of this model, epoch and
 * parameters is loaded and caught up from `vector_changes`; anything else (missing, corrupt, another
 * model, a log that no longer reaches back) is rebuilt in a worker thread while searches use the Hamming
 * path. Catch-up runs in short slices on the event loop; until it is done the changed memories are
 * scored exactly beside the index's candidates. Saved every SAVE_EVERY_CHANGES changes or
 * SAVE_EVERY_MS, and on close.
 */
export class AnnIndex {
  private readonly statements: PreparedStatements;
  private readonly log: (message: string) => void;
  private state: State = 'idle';
  private index: Index | undefined;
  private seq = 0;
  private epoch: string | null = null;
  private model = '';
  private dimension = 0;
  private changesSinceSave = 0;
  private lastSave = Date.now();
  private catchUpScheduled: NodeJS.Immediate | undefined;
  private builder: { worker: Worker; outputPath: string } | undefined;
  private readonly readyWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];

  constructor(
    db: SqliteDatabase,
    private readonly options: AnnIndexOptions,
  ) {
    this.statements = new PreparedStatements(db);
    this.log = options.log ?? (() => undefined);
  }

  /** True once the index is loaded or built (it may still be catching up). */
  get ready(): boolean {
    return this.state === 'ready';
  }

  /** Vectors in the index (removed ones excluded). */
  get size(): number {
    return this.index?.size() ?? 0;
  }

  /**
   * Up to `count` ids nearest to the vector, with the ids changed since the index caught up; undefined
   * while the index is not ready or further behind than MAX_PENDING_CHANGES (the caller then uses
   * another path). Starts the index on first use.
   */
  candidates(vector: Float32Array, count: number): AnnCandidates | undefined {
    if (this.state !== 'ready') {
      this.start();
      return undefined;
    }
    const position = this.logPosition();
    if (!this.follows(position)) {
      this.discard('the vectors were rewritten (restore or reindex) or the change log no longer reaches back');
      this.start();
      return undefined;
    }
    if (position.latest - this.seq > MAX_PENDING_CHANGES) {
      this.scheduleCatchUp();
      return undefined;
    }
    const changed =
      position.latest > this.seq
        ? (this.statements
            .get('SELECT DISTINCT memory_id FROM vector_changes WHERE seq > ?')
            .pluck()
            .all(this.seq) as number[])
        : [];
    if (changed.length > 0) this.scheduleCatchUp();
    const found = this.index!.search(vector, count, 1);
    return { nearest: Array.from(found.keys, Number), changed };
  }

  /** Loads or builds the index in the background (idempotent). */
  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'loading';
    // Off the caller's turn: the search that asked is answered by the Hamming path first.
    setImmediate(() => this.loadOrBuild());
  }

  /** Resolves once the index is ready, rejects if its build fails (for the benchmark and tests). */
  whenReady(): Promise<void> {
    this.start();
    if (this.state === 'ready') return Promise.resolve();
    if (this.state === 'failed') return Promise.reject(new Error('The vector index build failed'));
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  /** Resolves once every logged change is applied (for the benchmark and tests). */
  async caughtUp(): Promise<void> {
    await this.whenReady();
    while (this.state === 'ready' && this.logPosition().latest > this.seq) {
      this.catchUpSlice();
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Saves what changed since the last save, stops a build in progress. */
  close(): void {
    if (this.catchUpScheduled) clearImmediate(this.catchUpScheduled);
    if (this.builder) {
      const { worker, outputPath } = this.builder;
      this.builder = undefined;
      // The half-written file goes once the thread has stopped writing it.
      void worker.terminate().then(() => removeQuietly(outputPath));
    }
    if (this.state === 'ready' && this.changesSinceSave > 0) this.save();
    this.state = 'closed';
    this.index = undefined;
  }

  private loadOrBuild(): void {
    if (this.state !== 'loading') return;
    const bound = this.boundModel();
    if (!bound) {
      this.state = 'idle'; // nothing stored yet: the next search that needs it starts again
      return;
    }
    this.model = bound.model;
    this.dimension = bound.dimension;
    const header = readAnnHeader(this.options.databasePath);
    const position = this.logPosition();
    if (!header) return this.build('no usable saved index');
    if (header.model !== this.model || header.dimension !== this.dimension) {
      return this.build(`the saved index holds ${header.model} vectors`);
    }
    if (header.epoch !== position.epoch) return this.build('the vectors were rewritten since it was saved');
    if (position.oldest !== null && position.oldest > header.seq + 1) {
      return this.build('the change log no longer reaches back to the saved index');
    }
    const index = createAnnIndex(this.dimension);
    try {
      index.load(annIndexPaths(this.options.databasePath).index);
    } catch (error) {
      return this.build(`the saved index cannot be read (${(error as Error).message})`);
    }
    if (index.dimensions() !== this.dimension) return this.build('the saved index has another dimension');
    this.adopt(index, header.seq, header.epoch);
    this.log(`Vector index loaded: ${index.size()} vectors, ${position.latest - header.seq} logged changes to apply`);
  }

  private build(reason: string): void {
    const total = this.statements.get('SELECT count(*) FROM memory_embeddings').pluck().get() as number;
    this.log(`Vector index: building it (${reason}) from ${total} vectors in the background; searches scan meanwhile`);
    this.state = 'building';
    const outputPath = temporaryIndexPath(this.options.databasePath);
    const request: AnnBuildRequest = {
      databasePath: this.options.databasePath,
      dimension: this.dimension,
      outputPath,
      threads: this.options.buildThreads ?? 1,
    };
    const worker = new Worker(join(__dirname, 'ann-build.worker.js'), { workerData: request });
    this.builder = { worker, outputPath };
    let nextReport = 0.1;
    worker.on('message', (message: AnnBuildMessage) => {
      if (message.kind === 'progress') {
        if (message.total > 0 && message.added / message.total >= nextReport) {
          this.log(`Vector index: ${message.added} of ${message.total} vectors added`);
          nextReport = Math.floor((message.added / message.total) * 10 + 1) / 10;
        }
      } else if (message.kind === 'done') {
        this.builder = undefined;
        void worker.terminate();
        this.finishBuild(outputPath, message.seq, message.epoch);
      } else {
        this.failBuild(outputPath, message.message);
      }
    });
    worker.on('error', (error) => this.failBuild(outputPath, error.message));
  }

  private finishBuild(outputPath: string, seq: number, epoch: string | null): void {
    if (this.state !== 'building') return removeQuietly(outputPath);
    try {
      publishAnnIndex(this.options.databasePath, outputPath, {
        model: this.model,
        dimension: this.dimension,
        epoch,
        seq,
      });
      const index = createAnnIndex(this.dimension);
      index.load(annIndexPaths(this.options.databasePath).index);
      this.adopt(index, seq, epoch);
      this.log(`Vector index built: ${index.size()} vectors`);
    } catch (error) {
      this.failBuild(outputPath, (error as Error).message);
    }
  }

  private failBuild(outputPath: string, message: string): void {
    this.builder = undefined;
    removeQuietly(outputPath);
    if (this.state === 'closed') return;
    // Not retried until restart: a build that fails once would likely fail again, and scanning is correct.
    this.state = 'failed';
    this.log(`Vector index build failed (${message}); searches keep scanning`);
    for (const waiter of this.readyWaiters.splice(0))
      waiter.reject(new Error(`The vector index build failed: ${message}`));
  }

  private adopt(index: Index, seq: number, epoch: string | null): void {
    this.index = index;
    this.seq = seq;
    this.epoch = epoch;
    this.changesSinceSave = 0;
    this.lastSave = Date.now();
    this.state = 'ready';
    for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
    this.scheduleCatchUp();
  }

  private discard(reason: string): void {
    this.log(`Vector index dropped: ${reason}`);
    if (this.catchUpScheduled) clearImmediate(this.catchUpScheduled);
    this.catchUpScheduled = undefined;
    this.index = undefined;
    this.state = 'idle';
  }

  private scheduleCatchUp(): void {
    if (this.catchUpScheduled || this.state !== 'ready') return;
    this.catchUpScheduled = setImmediate(() => {
      this.catchUpScheduled = undefined;
      if (this.state !== 'ready') return;
      if (this.catchUpSlice()) this.scheduleCatchUp();
      else this.saveIfDue();
    });
  }

  /**
   * Applies logged changes in order for up to CATCH_UP_SLICE_MS: each memory's current vector replaces
   * what the index holds (so replaying a change twice is harmless). True when more remain.
   */
  private catchUpSlice(): boolean {
    if (!this.follows(this.logPosition())) {
      this.discard('the vectors were rewritten (restore or reindex) or the change log no longer reaches back');
      return false;
    }
    const deadline = performance.now() + CATCH_UP_SLICE_MS;
    const changes = this.statements
      .get('SELECT seq, memory_id AS id FROM vector_changes WHERE seq > ? ORDER BY seq LIMIT ?')
      .all(this.seq, CATCH_UP_ROWS) as { seq: number; id: number }[];
    const current = this.statements.get('SELECT embedding FROM memory_embeddings WHERE memory_id = ?').pluck();
    for (const change of changes) {
      const key = BigInt(change.id);
      if (this.index!.contains(key)) this.index!.remove(key);
      const blob = current.get(change.id) as Buffer | undefined;
      if (blob) this.index!.add(key, toVector(blob));
      this.seq = change.seq;
      this.changesSinceSave++;
      if (performance.now() > deadline) return true;
    }
    return changes.length === CATCH_UP_ROWS;
  }

  private saveIfDue(): void {
    const due =
      this.changesSinceSave >= (this.options.saveEveryChanges ?? SAVE_EVERY_CHANGES) ||
      (this.changesSinceSave > 0 && Date.now() - this.lastSave >= SAVE_EVERY_MS);
    if (due) this.save();
  }

  /** Writes the index to a temporary file and publishes it with its header (see publishAnnIndex). */
  private save(): void {
    const temporary = temporaryIndexPath(this.options.databasePath);
    try {
      this.index!.save(temporary);
      publishAnnIndex(this.options.databasePath, temporary, {
        model: this.model,
        dimension: this.dimension,
        epoch: this.epoch,
        seq: this.seq,
      });
      this.changesSinceSave = 0;
      this.lastSave = Date.now();
    } catch (error) {
      removeQuietly(temporary);
      this.log(`Vector index not saved: ${(error as Error).message}`);
    }
  }

  /** Whether the log still continues the index: same epoch, and nothing after its position pruned. */
  private follows(position: LogPosition): boolean {
    return position.epoch === this.epoch && (position.oldest === null || position.oldest <= this.seq + 1);
  }

  private logPosition(): LogPosition {
    return this.statements
      .get(
        `SELECT (SELECT value FROM settings WHERE key = 'vector_epoch') AS epoch,
                (SELECT min(seq) FROM vector_changes) AS oldest,
                coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'vector_changes'), 0) AS latest`,
      )
      .get() as LogPosition;
  }

  private boundModel(): { model: string; dimension: number } | undefined {
    const setting = this.statements.get('SELECT value FROM settings WHERE key = ?').pluck();
    const model = setting.get('embedding_model') as string | undefined;
    const dimension = Number(setting.get('embedding_dimension'));
    return model && dimension > 0 ? { model, dimension } : undefined;
  }
}

function toVector(blob: Buffer): Float32Array {
  return new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
}
