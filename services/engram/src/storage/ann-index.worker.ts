import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import * as sqliteVec from 'sqlite-vec';
import { Index, MetricKind, ScalarKind } from 'usearch';
import { admittedIdsSql, admittedNearest } from './admitted-nearest';
import { canonicalModelId } from './embedding-model-id';
import {
  annIndexPaths,
  ANN_PARAMETERS,
  ANN_SEARCH_EXPANSION,
  LOG_POSITION_SQL,
  LogPosition,
  publishAnnIndex,
  readAnnHeader,
  removeQuietly,
  searchBreadth,
  temporaryIndexPath,
} from './ann-index-file';
import { MemoryFilter } from './memory-filter.sql';
import { inRanges, MemoryIdBlocks } from './memory-id-blocks';
import { PreparedStatements } from './prepared-statements';
import { ScoredId } from './search.store';
import { RESCORE_SQL, toBlob } from './vector-index';

/** How the thread keeps the index (see AnnIndex for the defaults). */
export interface AnnWorkerOptions {
  databasePath: string;
  buildThreads: number;
  saveEveryChanges: number;
  saveEveryMs: number;
  /**
   * Set to 1 by the serving thread when it closes the index: a load or build checks it between its
   * steps and ends the thread itself. Stopping a thread inside usearch's native calls can abort the
   * whole process (a Napi::Error thrown where nothing catches it).
   */
  closing: Int32Array;
}

/**
 * A search: the `count` nearest ids, checked against the filter nearest first until `enough` pass, and those
 * re-scored exactly (see AnnIndex.candidates).
 */
export interface AnnSearch {
  kind: 'search';
  id: number;
  vector: Float32Array;
  count: number;
  filter: MemoryFilter;
  enough: number;
}

/** A search's answer: the admitted ids nearest first with their exact distances, and how many were looked at. */
export interface AnnFound {
  ids: Float64Array;
  distances: Float64Array;
  /** Ids the index returned (fewer than asked: it holds no more). */
  found: number;
  /** Of those, how many were checked against the filter. */
  checked: number;
}

/** What the serving thread asks. `catch-up` with an id is answered once every change logged so far is in. */
export type AnnRequest = AnnSearch | { kind: 'catch-up'; id?: number } | { kind: 'close' };

/**
 * `empty`: no model is bound yet (nothing stored), so there is nothing to index; the thread ends.
 * `saving`: the index is being written to disk; searches sent meanwhile wait for it.
 */
export type AnnStatus = 'loading' | 'building' | 'ready' | 'saving' | 'failed' | 'empty';

export type AnnReply =
  | { kind: 'log'; message: string }
  | { kind: 'status'; status: AnnStatus; size: number; seq: number; epoch: string | null; reason?: string }
  | { kind: 'found'; id: number; answer: AnnFound | null; seq: number }
  | { kind: 'caught-up'; id: number };

/** Longest stretch of catch-up work before queued searches get a turn. */
const CATCH_UP_SLICE_MS = 15;
const CATCH_UP_ROWS = 256;
/** How often an idle index looks for changes logged by any process writing the file. */
const POLL_MS = 200;
const BUILD_CHUNK_ROWS = 2_000;

/** An empty index with ANN_PARAMETERS. */
function createAnnIndex(dimension: number): Index {
  return new Index({
    dimensions: dimension,
    metric: ANN_PARAMETERS.metric as MetricKind,
    quantization: ANN_PARAMETERS.quantization as ScalarKind,
    connectivity: ANN_PARAMETERS.connectivity,
    expansion_add: ANN_PARAMETERS.expansionAdd,
    expansion_search: ANN_SEARCH_EXPANSION,
    multi: false,
  });
}

/**
 * Owns the HNSW index on a thread of its own, so that loading, building, catching up and saving it (seconds
 * at a million vectors) never hold up the serving thread, which only sends searches. Reads the database on
 * a read-only connection of its own: the vectors, `vector_changes` to follow every write, and for each
 * search the filter and the exact distances of its candidates, so the whole vector leg runs here while
 * the serving thread works on the keyword leg.
 */
class IndexKeeper {
  private readonly db: Database.Database;
  private readonly statements: PreparedStatements;
  private readonly idBlocks: MemoryIdBlocks;
  private index: Index | undefined;
  private status: AnnStatus = 'loading';
  private seq = 0;
  private epoch: string | null = null;
  private dimension = 0;
  private model = '';
  private changesSinceSave = 0;
  private lastSave = Date.now();
  private catchUpScheduled = false;
  private readonly caughtUpWaiters: number[] = [];
  private readonly poll: NodeJS.Timeout;

  constructor(private readonly options: AnnWorkerOptions) {
    this.db = new Database(options.databasePath, { readonly: true, fileMustExist: true });
    sqliteVec.load(this.db);
    this.statements = new PreparedStatements(this.db);
    this.idBlocks = new MemoryIdBlocks(this.db);
    this.poll = setInterval(() => this.scheduleCatchUp(), POLL_MS);
  }

  start(): void {
    const bound = this.boundModel();
    if (!bound) return this.report('empty');
    this.model = bound.model;
    this.dimension = bound.dimension;
    const header = readAnnHeader(this.options.databasePath);
    const position = this.logPosition();
    if (!header) return this.build('no usable saved index');
    if (canonicalModelId(header.model) !== this.model || header.dimension !== this.dimension) {
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
    this.exitIfClosing('load');
    if (index.dimensions() !== this.dimension) return this.build('the saved index has another dimension');
    this.log(`Vector index loaded: ${index.size()} vectors, ${position.latest - header.seq} logged changes to apply`);
    this.adopt(index, header.seq, header.epoch, false);
  }

  handle(request: AnnRequest): void {
    if (request.kind === 'search') return this.search(request);
    if (request.kind === 'catch-up') {
      if (request.id !== undefined) this.caughtUpWaiters.push(request.id);
      return this.scheduleCatchUp();
    }
    // close: what changed since the last save is written, then the thread ends (the caller awaits its exit).
    clearInterval(this.poll);
    if (this.status === 'ready' && this.changesSinceSave > 0) this.save();
    this.db.close();
    process.exit(0);
  }

  /**
   * Answers one search. A failure of this search alone (its filter's statement, a read) is answered with
   * no candidates, so the serving thread takes another path for it, and the index stays in service.
   */
  private search(request: AnnSearch): void {
    const { id } = request;
    if (this.status !== 'ready') return send({ kind: 'found', id, answer: null, seq: this.seq });
    let answer: AnnFound;
    try {
      answer = this.admittedNearest(request);
    } catch (error) {
      this.log(`Vector index search not answered (${(error as Error).message}); another path answers it`);
      return send({ kind: 'found', id, answer: null, seq: this.seq });
    }
    // Moved, not copied: both arrays were made for this answer.
    send({ kind: 'found', id, answer, seq: this.seq }, [answer.ids.buffer, answer.distances.buffer] as ArrayBuffer[]);
  }

  private admittedNearest({ vector, count, filter, enough }: AnnSearch): AnnFound {
    const keys = this.index!.search(vector, searchBreadth(this.index!.size(), count), 1).keys.subarray(0, count);
    const nearest = Array.from(keys, Number);
    const admitted = admittedIdsSql(filter, true); // one statement for every slice of this search
    const statement = this.statements.get(admitted.sql).pluck();
    // Ids outside the ranges that can hold the filter's memories (other namespaces, other times) are
    // left out here, without a look-up each.
    const ranges = this.idBlocks.ranges(filter);
    const { passing, checked } = admittedNearest(nearest, enough, (ids) => {
      const possible = ids.filter((id) => inRanges(ranges, id));
      if (possible.length === 0) return new Set();
      return new Set(statement.all(JSON.stringify(possible), ...admitted.params) as number[]);
    });
    const scored = this.rescore(passing, vector);
    const ids = Float64Array.from(scored, (hit) => hit.id);
    const distances = Float64Array.from(scored, (hit) => hit.distance);
    return { ids, distances, found: nearest.length, checked };
  }

  private rescore(ids: readonly number[], vector: Float32Array): ScoredId[] {
    if (ids.length === 0) return [];
    return this.statements.get(RESCORE_SQL).all(toBlob(vector), JSON.stringify(ids)) as ScoredId[];
  }

  /**
   * Reads every vector in id order in short statements (no snapshot held for minutes) after noting the log
   * position, so a row may be newer than that position, which is harmless: catching up replays each change
   * by reading the row's current state. Runs to the end on this thread: searches wait for `ready`.
   */
  private build(reason: string): void {
    const total = this.db.prepare('SELECT count(*) FROM memory_embeddings').pluck().get() as number;
    this.log(`Vector index: building it (${reason}) from ${total} vectors in the background; searches scan meanwhile`);
    this.report('building');
    const { latest, epoch } = this.logPosition();
    const index = createAnnIndex(this.dimension);
    const next = this.db.prepare(
      'SELECT memory_id AS id, embedding FROM memory_embeddings WHERE memory_id > ? ORDER BY memory_id LIMIT ?',
    );
    let added = 0;
    let nextReport = 0.1;
    for (let after = 0; ;) {
      const rows = next.all(after, BUILD_CHUNK_ROWS) as { id: number; embedding: Buffer }[];
      if (rows.length === 0) break;
      const keys = new BigUint64Array(rows.length);
      const vectors = new Float32Array(rows.length * this.dimension);
      rows.forEach((row, i) => {
        keys[i] = BigInt(row.id);
        // Copied byte-wise: a blob's offset in its buffer need not be 4-byte aligned.
        new Uint8Array(vectors.buffer, i * this.dimension * 4, this.dimension * 4).set(row.embedding);
      });
      index.add(keys, vectors, this.options.buildThreads);
      this.exitIfClosing('build');
      added += rows.length;
      after = rows[rows.length - 1].id;
      if (total > 0 && added / total >= nextReport) {
        this.log(`Vector index: ${added} of ${total} vectors added`);
        nextReport = Math.floor((added / total) * 10 + 1) / 10;
      }
    }
    this.log(`Vector index built: ${index.size()} vectors`);
    this.adopt(index, latest, epoch, true);
  }

  /** Ends the thread between the steps of a load or build once the serving thread is closing the index. */
  private exitIfClosing(step: 'load' | 'build'): void {
    if (Atomics.load(this.options.closing, 0) === 0) return;
    this.log(`Vector index: ${step} stopped, the index is closing`);
    this.db.close();
    process.exit(0);
  }

  private adopt(index: Index, seq: number, epoch: string | null, unsaved: boolean): void {
    this.index = index;
    this.seq = seq;
    this.epoch = epoch;
    this.changesSinceSave = 0;
    if (unsaved) this.save();
    this.report('ready');
    this.scheduleCatchUp();
  }

  private scheduleCatchUp(): void {
    if (this.catchUpScheduled || this.status !== 'ready') return;
    this.catchUpScheduled = true;
    setImmediate(() => {
      this.catchUpScheduled = false;
      if (this.status !== 'ready') return;
      guarded(() => {
        if (this.catchUpSlice()) return this.scheduleCatchUp();
        for (const id of this.caughtUpWaiters.splice(0)) send({ kind: 'caught-up', id });
        this.saveIfDue();
      });
    });
  }

  /**
   * Applies logged changes in order for up to CATCH_UP_SLICE_MS: each memory's current vector replaces
   * what the index holds (so replaying a change twice is harmless). True when more remain.
   */
  private catchUpSlice(): boolean {
    const position = this.logPosition();
    if (position.epoch !== this.epoch || (position.oldest !== null && position.oldest > this.seq + 1)) {
      this.index = undefined;
      this.build('the vectors were rewritten (restore or reindex) or the change log no longer reaches back');
      return false;
    }
    if (position.latest <= this.seq) return false;
    const deadline = performance.now() + CATCH_UP_SLICE_MS;
    const changes = this.db
      .prepare('SELECT seq, memory_id AS id FROM vector_changes WHERE seq > ? ORDER BY seq LIMIT ?')
      .all(this.seq, CATCH_UP_ROWS) as { seq: number; id: number }[];
    const current = this.db.prepare('SELECT embedding FROM memory_embeddings WHERE memory_id = ?').pluck();
    let more = changes.length === CATCH_UP_ROWS;
    for (const change of changes) {
      const key = BigInt(change.id);
      if (this.index!.contains(key)) this.index!.remove(key);
      const blob = current.get(change.id) as Buffer | undefined;
      if (blob) this.index!.add(key, toVector(blob));
      this.seq = change.seq;
      this.changesSinceSave++;
      if (performance.now() > deadline) {
        more = true;
        break;
      }
    }
    this.report('ready');
    return more;
  }

  private saveIfDue(): void {
    const due =
      this.changesSinceSave >= this.options.saveEveryChanges ||
      (this.changesSinceSave > 0 && Date.now() - this.lastSave >= this.options.saveEveryMs);
    if (due) this.save();
  }

  /** Writes the index to a temporary file and publishes it with its header (see publishAnnIndex). */
  private save(): void {
    const temporary = temporaryIndexPath(this.options.databasePath);
    const resume = this.status;
    this.report('saving');
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
    this.report(resume);
  }

  private report(status: AnnStatus): void {
    this.status = status;
    send({ kind: 'status', status, size: this.index?.size() ?? 0, seq: this.seq, epoch: this.epoch });
  }

  private log(message: string): void {
    send({ kind: 'log', message });
  }

  private logPosition(): LogPosition {
    return this.db.prepare(LOG_POSITION_SQL).get() as LogPosition;
  }

  private boundModel(): { model: string; dimension: number } | undefined {
    const setting = this.db.prepare('SELECT value FROM settings WHERE key = ?').pluck();
    const model = setting.get('embedding_model') as string | undefined;
    const dimension = Number(setting.get('embedding_dimension'));
    return model && dimension > 0 ? { model: canonicalModelId(model), dimension } : undefined;
  }
}

/** Runs a step of the keeper; a failure is reported as `failed` (the serving thread then stops this one). */
function guarded(step: () => void): void {
  try {
    step();
  } catch (error) {
    send({ kind: 'status', status: 'failed', size: 0, seq: 0, epoch: null, reason: (error as Error).message });
  }
}

function send(reply: AnnReply, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(reply, transfer);
}

function toVector(blob: Buffer): Float32Array {
  return new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
}

guarded(() => {
  const keeper = new IndexKeeper(workerData as AnnWorkerOptions);
  parentPort!.on('message', (request: AnnRequest) => guarded(() => keeper.handle(request)));
  keeper.start();
});
