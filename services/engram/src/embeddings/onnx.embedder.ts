import { access } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { FeatureExtractionPipeline } from '@huggingface/transformers';
import { EmbeddingUnavailable } from '../common/domain-errors';
import { Embedder, normalise } from './embedder';

export interface OnnxEmbedderOptions {
  /** Folder with config.json, tokenizer.json and onnx/model.onnx (or model.onnx). */
  modelDir: string;
  /** Texts per inference call. */
  batchSize: number;
}

const PROBE_TEXT = 'dimension probe';

/**
 * A sentence-embedding model exported to ONNX (MiniLM, bge, e5 … as Optimum writes them), loaded
 * from a local folder with transformers.js and never from a hub. Vectors are the attention-masked
 * mean of the last hidden state, normalised. onnxruntime-node runs a batch synchronously on the
 * calling thread, so texts go in batches of `batchSize` and the event loop turns between them;
 * keep batchSize small for large models.
 */
export class OnnxEmbedder implements Embedder {
  readonly provider = 'onnx';
  readonly modelId: string;
  private dimensionFound = 0;
  private extractor?: FeatureExtractionPipeline;

  constructor(private readonly options: OnnxEmbedderOptions) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new Error(`batchSize must be a positive integer, got ${options.batchSize}`);
    }
    this.modelId = `onnx:${basename(resolve(options.modelDir))}`;
  }

  get dimension(): number {
    return this.dimensionFound;
  }

  async init(): Promise<void> {
    if (this.extractor) return;
    const dir = resolve(this.options.modelDir);
    const subfolder = await modelSubfolder(dir);
    try {
      const { env, pipeline } = await import('@huggingface/transformers');
      env.allowRemoteModels = false;
      env.allowLocalModels = true;
      env.localModelPath = `${dirname(dir)}/`;
      this.extractor = await pipeline('feature-extraction', basename(dir), {
        dtype: 'fp32',
        device: 'cpu',
        subfolder,
      });
    } catch (error) {
      throw new EmbeddingUnavailable(`Cannot load the ONNX model in ${dir}: ${(error as Error).message}`);
    }
    const [probe] = await this.embed([PROBE_TEXT]);
    this.dimensionFound = probe.length;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const extractor = this.extractor;
    if (!extractor) throw new EmbeddingUnavailable('ONNX embedder used before init() or after close()');
    const vectors: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += this.options.batchSize) {
      // Resolved promises alone never let timers and sockets run; this does.
      if (start > 0) await yieldToEventLoop();
      const batch = texts.slice(start, start + this.options.batchSize);
      let output: Awaited<ReturnType<FeatureExtractionPipeline>>;
      try {
        output = await extractor(batch, { pooling: 'mean', normalize: true });
      } catch (error) {
        throw new EmbeddingUnavailable(`ONNX embedding failed: ${(error as Error).message}`);
      }
      const [rows, dimension] = output.dims;
      const data = output.data as Float32Array;
      for (let row = 0; row < rows; row++) vectors.push(normalise(data.slice(row * dimension, (row + 1) * dimension)));
    }
    return vectors;
  }

  async close(): Promise<void> {
    const extractor = this.extractor;
    this.extractor = undefined;
    await extractor?.dispose();
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
