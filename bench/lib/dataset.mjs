/**
 * Builds a benchmark database straight through the repositories (embedding 100k texts through the
 * api would take minutes). Vectors are real USE-lite embeddings composed: `sentenceCount` distinct
 * sentences are embedded with the local model, and each memory is two of them joined, its vector the
 * normalised sum of theirs. `composedFidelity` measures how close that is to embedding the joined text.
 */
import { createHash } from 'node:crypto';
import { Corpus, random } from './corpus.mjs';
import { fromDist } from './dist.mjs';

const { openSqliteDatabase } = fromDist('storage/sqlite.connection.js');
const { bindEmbeddingModel } = fromDist('storage/embedding-model.binding.js');
const { MemoryRepository } = fromDist('storage/memory.repository.js');
const { VectorIndex } = fromDist('storage/vector-index.js');
const { DEFAULT_PRAGMAS } = fromDist('config/sqlite-pragmas.js');
const { LocalUseEmbedder } = fromDist('embeddings/local-use.embedder.js');

const DAY_MS = 86_400_000;
const NOW = Date.UTC(2026, 0, 1);

export async function startEmbedder() {
  const embedder = new LocalUseEmbedder({ batchSize: 32 });
  await embedder.init();
  return embedder;
}

/** Sentences and their embeddings: the material every composed memory is made of. */
export async function embeddedSentences(embedder, count) {
  const sentences = new Corpus(11).sentences(count);
  const started = performance.now();
  const vectors = await embedder.embed(sentences);
  return { sentences, vectors, embedSeconds: (performance.now() - started) / 1000 };
}

/** Deterministic pairs of sentence indexes, one per memory, all distinct. */
export function composedMemories(material, count, seed = 3) {
  const next = random(seed);
  const n = material.sentences.length;
  const seen = new Set();
  const memories = [];
  while (memories.length < count) {
    const a = Math.floor(next() * n);
    const b = Math.floor(next() * n);
    if (a === b || seen.has(a * n + b)) continue;
    seen.add(a * n + b);
    memories.push({
      content: `${material.sentences[a]}. ${material.sentences[b]}.`,
      vector: sum(material.vectors[a], material.vectors[b]),
    });
  }
  return memories;
}

function sum(a, b) {
  const out = new Float32Array(a.length);
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    out[i] = a[i] + b[i];
    norm += out[i] * out[i];
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < out.length; i++) out[i] /= norm;
  return out;
}

export function cosine(a, b) {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

/** Mean cosine between composed vectors and real embeddings of the same joined texts. */
export async function composedFidelity(embedder, memories) {
  const real = await embedder.embed(memories.map((memory) => memory.content));
  const similarities = memories.map((memory, i) => cosine(memory.vector, real[i]));
  return Math.round((similarities.reduce((s, x) => s + x, 0) / similarities.length) * 1000) / 1000;
}

/** Writes the memories into a new database at `path`, bound to the local model like the api would. */
export function writeDatabase(path, memories, model) {
  const db = openSqliteDatabase(path, DEFAULT_PRAGMAS);
  bindEmbeddingModel(db, path, model);
  const repository = new MemoryRepository(db, new VectorIndex(db));
  const started = performance.now();
  for (const chunk of memoryChunks(memories)) repository.insertMany(chunk);
  const insertSeconds = (performance.now() - started) / 1000;
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { insertSeconds };
}

/**
 * The memories as the storage port's new memories, 1000 to a chunk (one transaction each), with
 * generated tags, types and creation times spread over the year before NOW, oldest last.
 */
export function* memoryChunks(memories) {
  const labels = new Corpus(5);
  for (let start = 0; start < memories.length; start += 1000) {
    yield memories.slice(start, start + 1000).map((memory, i) => {
      const { tags, memoryType } = labels.labels();
      const createdAt = NOW - Math.floor(((start + i) / memories.length) * 365 * DAY_MS);
      return {
        namespace: 'default',
        contentHash: createHash('sha256').update(memory.content.trim().toLowerCase(), 'utf8').digest('hex'),
        content: memory.content,
        memoryType,
        metadata: {},
        tags,
        createdAt,
        updatedAt: createdAt,
        embedding: memory.vector,
      };
    });
  }
}
