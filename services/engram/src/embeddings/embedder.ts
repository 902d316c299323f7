import { EmbeddingUnavailable } from '../common/domain-errors';

/**
 * `query`: a search waits for it, so it goes ahead of queued `bulk` work (ingest, reindex) where the
 * provider queues work itself (the worker-thread models).
 */
export type EmbeddingPriority = 'query' | 'bulk';

/**
 * The one interface every embedding provider implements. Providers are I/O adapters (a model in a
 * worker thread, an ONNX runtime session, an HTTP endpoint): services see only this.
 */
export interface Embedder {
  /** Provider kind, used as a metric label. */
  readonly provider: 'local' | 'onnx' | 'openai';
  /**
   * Stable id of the model, recorded in the database with the dimension; vectors of two models are
   * never mixed. Known after `init()`.
   */
  readonly modelId: string;
  /** Vector length; known after `init()`. */
  readonly dimension: number;
  /**
   * What computes the vectors, for the startup log and diagnostics, e.g. `onnxruntime, 1 worker ×
   * 2 threads`; known after `init()`. Never holds secrets.
   */
  readonly engine: string;
  /** Loads the model or checks the endpoint. Throws `EmbeddingUnavailable` (common/domain-errors) with a clear message. */
  init(): Promise<void>;
  /**
   * One unit-length vector per text, in order. Long inputs are split into batches so the event loop
   * is never blocked for a whole batch. Priority defaults to `bulk`.
   */
  embed(texts: readonly string[], priority?: EmbeddingPriority): Promise<Float32Array[]>;
  /** Releases worker threads, sessions and sockets. */
  close(): Promise<void>;
}

/** Nest injection token for the configured Embedder. */
export const EMBEDDER = Symbol('EMBEDDER');

/** Scales a vector to unit length in place so cosine similarity is a dot product. */
export function normalise(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i] /= norm;
  return vector;
}

/** Cuts a model's flat output into one unit vector per text; a wrong length is the model's failure. */
export function unitRows(flat: Float32Array, rows: number, dimension: number, model: string): Float32Array[] {
  if (flat.length !== rows * dimension) {
    throw new EmbeddingUnavailable(`${model} returned ${flat.length} values for ${rows} texts`);
  }
  return Array.from({ length: rows }, (_, row) => normalise(flat.slice(row * dimension, (row + 1) * dimension)));
}
