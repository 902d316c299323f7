/**
 * Worker thread running a local ONNX sentence-embedding model with transformers.js. onnxruntime
 * runs a batch synchronously on the calling thread, so it happens here, never on the main thread.
 * Protocol: see WorkerReply in worker-pool.ts; `ready` carries the model's dimension (OnnxWorkerInfo),
 * each result is the batch's mean-pooled vectors laid end to end.
 */
import { basename, dirname } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerReply } from './worker-pool';

export interface OnnxWorkerData {
  /** Absolute path of the model folder (config.json, tokenizer.json, model.onnx). */
  modelDir: string;
  /** Where model.onnx sits inside modelDir: `onnx` or ''. */
  subfolder: string;
}

export interface OnnxWorkerInfo {
  dimension: number;
}

type Embed = (texts: string[]) => Promise<Float32Array>;
type Reply = WorkerReply<Float32Array>;

const PROBE_TEXT = 'dimension probe';

if (!parentPort) throw new Error('onnx.worker must run in a worker thread');
const port = parentPort;
const { modelDir, subfolder } = workerData as OnnxWorkerData;

async function loadModel(): Promise<Embed> {
  const { env, pipeline } = await import('@huggingface/transformers');
  // Never a hub: the model is read from its folder or not at all.
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${dirname(modelDir)}/`;
  const extractor = await pipeline('feature-extraction', basename(modelDir), {
    dtype: 'fp32',
    device: 'cpu',
    subfolder,
    // onnxruntime's idle threads would otherwise spin on the cores the event loop needs.
    session_options: { extra: { session: { intra_op: { allow_spinning: '0' } } } },
  });
  return async (texts) => {
    const output = await extractor(texts, { pooling: 'mean', normalize: true });
    return Float32Array.from(output.data as Float32Array);
  };
}

async function start(): Promise<{ embed: Embed; info: OnnxWorkerInfo }> {
  const embed = await loadModel();
  // The config may not state the pooled size, so one short text tells it.
  const probe = await embed([PROBE_TEXT]);
  return { embed, info: { dimension: probe.length } };
}

start().then(
  ({ embed, info }) => {
    port.on('message', ({ id, payload }: { id: number; payload: string[] }) => {
      embed(payload).then(
        (flat) => port.postMessage({ type: 'done', id, result: flat } satisfies Reply, [flat.buffer as ArrayBuffer]),
        (error: unknown) => port.postMessage({ type: 'error', id, message: messageOf(error) } satisfies Reply),
      );
    });
    port.postMessage({ type: 'ready', info } satisfies Reply);
  },
  (error: unknown) => {
    port.postMessage({ type: 'failed', message: messageOf(error) } satisfies Reply);
    port.close(); // the thread ends once loading work still in flight is done (worker-pool.ts)
  },
);

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
