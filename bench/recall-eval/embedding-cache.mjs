/**
 * A caching `/v1/embeddings` endpoint on loopback for the evaluation: Engram embeds through it (provider
 * `openai`), so a text embedded by an earlier run, or by an earlier conversation of this one, is read
 * back instead of computed again. The upstream is the bundled model loaded in this process, or an
 * OpenAI-compatible endpoint (`--embedding-url`). Vectors are kept under the system's temporary folder,
 * keyed by a digest of the text: never in the project, never the text itself.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromDist } from '../lib/dist.mjs';

/** The model name Engram is told when the bundled model sits behind the cache. */
export const BUNDLED_MODEL = 'bundled-use-lite';

/**
 * Starts the cache. `upstream`: `{ url, model, apiKey }` of an OpenAI-compatible endpoint, or undefined
 * for the bundled model. `persist: false` keeps the cache in memory only.
 */
export async function startEmbeddingCache({ upstream, persist = true } = {}) {
  const embedder = createUpstream(upstream);
  await embedder.init();
  const model = upstream?.model ?? BUNDLED_MODEL;
  // The bundled model's arithmetics share a model id (interchangeable vectors) but not a cache.
  const upstreamModel = embedder.arithmetic ? `${embedder.modelId} (${embedder.arithmetic})` : embedder.modelId;
  const file = persist ? cacheFile(upstreamModel) : undefined;
  const vectors = file ? readCache(file) : new Map();
  const stats = { hits: 0, misses: 0 };

  const embed = async (texts) => {
    const keys = texts.map(digest);
    const missing = [...new Set(keys.filter((key) => !vectors.has(key)))];
    stats.hits += keys.filter((key) => vectors.has(key)).length;
    if (missing.length > 0) {
      const missingTexts = missing.map((key) => texts[keys.indexOf(key)]);
      const computed = await embedder.embed(missingTexts);
      const lines = missing.map((key, i) => {
        vectors.set(key, computed[i]);
        return JSON.stringify([
          key,
          Buffer.from(computed[i].buffer, computed[i].byteOffset, computed[i].byteLength).toString('base64'),
        ]);
      });
      stats.misses += missing.length;
      if (file) appendFileSync(file, `${lines.join('\n')}\n`);
    }
    return keys.map((key) => vectors.get(key));
  };

  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      answer(request, Buffer.concat(chunks).toString('utf8'), embed, model).then(
        (body) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
        (error) =>
          response
            .writeHead(error.status ?? 502, { 'content-type': 'application/json' })
            .end(JSON.stringify({ error: { message: error.message } })),
      );
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/v1`,
    model,
    /** What the vectors come from, for the report. */
    upstreamModel,
    stats,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await embedder.close();
    },
  };
}

async function answer(request, body, embed, model) {
  if (request.method !== 'POST' || request.url !== '/v1/embeddings')
    throw Object.assign(new Error('not found'), { status: 404 });
  const { input } = JSON.parse(body);
  const texts = typeof input === 'string' ? [input] : input;
  const vectors = await embed(texts);
  return {
    object: 'list',
    data: vectors.map((vector, index) => ({ object: 'embedding', index, embedding: Array.from(vector) })),
    model,
  };
}

function createUpstream(upstream) {
  if (upstream === undefined) {
    const { LocalUseEmbedder } = fromDist('embeddings/local-use.embedder.js');
    // The api's own precision setting and default, so `ENGRAM_EMBEDDING_PRECISION=fp32` evaluates fp32 vectors.
    return new LocalUseEmbedder({ batchSize: 32, workers: 1, precision: process.env.ENGRAM_EMBEDDING_PRECISION });
  }
  const { OpenAiEmbedder } = fromDist('embeddings/openai.embedder.js');
  return new OpenAiEmbedder({
    baseUrl: upstream.url,
    model: upstream.model,
    apiKey: upstream.apiKey,
    batchSize: 32,
    requestTimeoutMs: 60_000,
  });
}

function cacheFile(modelId) {
  const dir = join(tmpdir(), 'engram-eval-embeddings');
  mkdirSync(dir, { recursive: true });
  return join(dir, `${createHash('sha256').update(modelId).digest('hex').slice(0, 16)}.ndjson`);
}

function readCache(file) {
  const vectors = new Map();
  if (!existsSync(file)) return vectors;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      continue; // a line cut short by an interrupted run: that text is embedded again
    }
    const bytes = Buffer.from(entry[1], 'base64');
    vectors.set(entry[0], new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
  }
  return vectors;
}

function digest(text) {
  return createHash('sha256').update(text).digest('hex');
}
