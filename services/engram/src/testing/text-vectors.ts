import { contentHash } from '../memories/content-hash';
import { NewMemory } from '../storage/memory.record';

/** A distinct direction per text, at any dimension: what a model would give, deterministically. */
export function vectorOf(text: string, dimension: number): Float32Array {
  const seed = [...text].reduce((sum, char, i) => sum + char.charCodeAt(0) * (i + 1), 0);
  return new Float32Array(dimension).map((_, d) => Math.cos(seed * 0.013 + d * 1.3));
}

/** A plain note in the default namespace, embedded by `vectorOf` at `dimension`. */
export function noteWithVector(content: string, dimension: number): NewMemory {
  return {
    namespace: 'default',
    contentHash: contentHash(content),
    content,
    memoryType: 'note',
    metadata: {},
    tags: [],
    createdAt: 1,
    updatedAt: 1,
    embedding: vectorOf(content, dimension),
  };
}
