import { access } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { EmbeddingUnavailable } from '../common/domain-errors';
import { Embedder, EmbeddingPriority, unitRows } from './embedder';
import type { OnnxWorkerData, OnnxWorkerInfo } from './onnx.worker';
import { disableOnnxruntimeTelemetry } from './onnxruntime-telemetry';
import { QueryLane } from './query-lane';
import { JobPriority, WorkerPool } from './worker-pool';

export interface OnnxEmbedderOptions {
  /** Folder with config.json, tokenizer.json and onnx/model.onnx (or model.onnx). */
  modelDir: string;
  /** Texts per inference call. */
  batchSize: number;
}

/**
 * A sentence-embedding model exported to ONNX (MiniLM, bge, e5 … as Optimum writes them), loaded
 * from a local folder with transformers.js and never from a hub. Vectors are the attention-masked
 * mean of the last hidden state, normalised. onnxruntime-node runs a batch synchronously on the
 * thread that calls it, so the model lives in a worker thread and the event loop keeps turning
 * while it works; batches queue for that one worker, search queries first (QueryLane).
 */
export class OnnxEmbedder implements Embedder {
  readonly provider = 'onnx';
  readonly engine = 'transformers.js on onnxruntime-node, 1 worker';
  readonly modelId: string;
  private dimensionFound = 0;
  private pool?: WorkerPool<string[], Float32Array>;
  private readonly queries: QueryLane;

  constructor(private readonly options: OnnxEmbedderOptions) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new Error(`batchSize must be a positive integer, got ${options.batchSize}`);
    }
    this.modelId = `onnx:${basename(resolve(options.modelDir))}`;
    this.queries = new QueryLane((texts) => this.embedBatch(texts, 'urgent'), 1, options.batchSize);
  }

  get dimension(): number {
    return this.dimensionFound;
  }

  async init(): Promise<void> {
    if (this.pool) return;
    const modelDir = resolve(this.options.modelDir);
    const workerData: OnnxWorkerData = { modelDir, subfolder: await modelSubfolder(modelDir) };
    disableOnnxruntimeTelemetry();
    const pool = new WorkerPool<string[], Float32Array>(join(__dirname, 'onnx.worker.js'), 1, workerData);
    try {
      await pool.start();
    } catch (error) {
      throw new EmbeddingUnavailable(`Cannot load the ONNX model in ${modelDir}: ${(error as Error).message}`);
    }
    this.dimensionFound = (pool.infos[0] as OnnxWorkerInfo).dimension;
    this.pool = pool;
  }

  async embed(texts: readonly string[], priority: EmbeddingPriority = 'bulk'): Promise<Float32Array[]> {
    if (priority === 'query') return this.queries.embed(texts);
    const { batchSize } = this.options;
    const batches: Promise<Float32Array[]>[] = [];
    for (let start = 0; start < texts.length; start += batchSize) {
      batches.push(this.embedBatch(texts.slice(start, start + batchSize), 'normal'));
    }
    return (await Promise.all(batches)).flat();
  }

  /** One inference call in the worker: a unit vector per text, in order. */
  private async embedBatch(texts: string[], priority: JobPriority): Promise<Float32Array[]> {
    const pool = this.pool;
    if (!pool) throw new EmbeddingUnavailable('ONNX embedder used before init() or after close()');
    const flat = await pool.run(texts, [], priority).catch((error: Error) => {
      throw new EmbeddingUnavailable(`ONNX embedding failed: ${error.message}`);
    });
    return unitRows(flat, texts.length, this.dimensionFound, 'ONNX model');
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.close();
  }
}

/** Where model.onnx sits: `onnx/` as Optimum exports it, or the folder itself. */
async function modelSubfolder(dir: string): Promise<string> {
  for (const subfolder of ['onnx', '']) {
    const exists = await access(join(dir, subfolder, 'model.onnx')).then(
      () => true,
      () => false,
    );
    if (exists) return subfolder;
  }
  throw new EmbeddingUnavailable(`No model.onnx in ${dir} or ${join(dir, 'onnx')} (ENGRAM_ONNX_MODEL_DIR)`);
}
