import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { UseLiteWeight } from './use-lite-onnx';

/** The parts of a TF.js model.json read here: where each weight sits in the concatenated shards. */
interface WeightsManifest {
  weightsManifest: {
    paths: string[];
    weights: { name: string; shape: number[]; dtype: string; quantization?: unknown }[];
  }[];
}

/** Both dtypes take 4 bytes, which keeps every Float32Array view 4-byte aligned. */
const BYTES_PER_VALUE: Record<string, number> = { float32: 4, int32: 4 };

/**
 * The float32 weights of a TF.js graph model, read straight from its model.json manifest and .bin
 * shards, without TF.js: the ONNX graph needs only these arrays, and TF.js would keep its own
 * copies (and its heap) alive. The int32 tensors are shape constants the ONNX graph does not use.
 * The weights are views of one buffer, freed as a whole once the caller drops the map.
 */
export async function readUseLiteWeights(modelDir: string): Promise<Map<string, UseLiteWeight>> {
  const manifest = JSON.parse(await readFile(join(modelDir, 'model.json'), 'utf8')) as WeightsManifest;
  const weights = new Map<string, UseLiteWeight>();
  for (const group of manifest.weightsManifest) {
    const layout = group.weights.map(({ name, shape, dtype, quantization }) => {
      const size = BYTES_PER_VALUE[dtype];
      if (size === undefined || quantization) throw new Error(`Unsupported weight ${name} (${dtype})`);
      const length = shape.reduce((product, dim) => product * dim, 1);
      return { name, shape, dtype, length, byteLength: length * size };
    });
    const bytes = await readShards(
      group.paths.map((path) => join(modelDir, path)),
      layout.reduce((total, { byteLength }) => total + byteLength, 0),
    );
    let offset = 0;
    for (const { name, shape, dtype, length, byteLength } of layout) {
      if (dtype === 'float32') weights.set(name, { shape, data: new Float32Array(bytes.buffer, offset, length) });
      offset += byteLength;
    }
  }
  return weights;
}

/** A group's weights laid end to end across its shards, read into one buffer without intermediate copies. */
async function readShards(paths: readonly string[], expectedBytes: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(expectedBytes);
  let filled = 0;
  for (const path of paths) {
    const file = await open(path);
    try {
      const { size } = await file.stat();
      if (filled + size > expectedBytes)
        throw new Error(`Weight shards hold more than the ${expectedBytes} bytes listed`);
      const { bytesRead } = await file.read(bytes, filled, size, 0);
      if (bytesRead !== size) throw new Error(`Read ${bytesRead} of the ${size} bytes of ${path}`);
      filled += size;
    } finally {
      await file.close();
    }
  }
  if (filled !== expectedBytes) throw new Error(`Weight shards hold ${filled} of the ${expectedBytes} bytes listed`);
  return bytes;
}
