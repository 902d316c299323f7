/** Measurements against the real api process: REST search, batch ingest, start-up. */
import { rmSync } from 'node:fs';
import { postJson, startServer } from './server.mjs';
import { timeEach } from './stats.mjs';

/** Hybrid POST /api/search latency (embedding included) and the api's RSS afterwards. */
export async function benchRestSearch(dbPath, queries, env = {}) {
  const server = await startServer(dbPath, { env });
  try {
    const latency = await timeEach(queries, (query) =>
      postJson(`${server.url}/api/search`, { query, mode: 'hybrid', limit: 10 }),
    );
    return {
      startReadyMs: server.readyMs,
      latency,
      rssMb: server.rssMb(),
      workers: env.ENGRAM_EMBEDDING_WORKERS ?? 'default',
    };
  } finally {
    await server.stop();
  }
}

/** Memories per second through the batch endpoint, batches sent one after another. */
export async function benchIngest(dbPath, texts, batchSize) {
  const server = await startServer(dbPath);
  try {
    const batches = [];
    for (let i = 0; i < texts.length; i += batchSize) batches.push(texts.slice(i, i + batchSize));
    await postJson(`${server.url}/api/memories/batch`, { memories: [{ content: 'warm-up memory for the bench' }] });
    const started = performance.now();
    const batchMs = [];
    for (const batch of batches) {
      const batchStarted = performance.now();
      await postJson(`${server.url}/api/memories/batch`, {
        memories: batch.map((content) => ({ content, tags: ['bench'] })),
      });
      batchMs.push(performance.now() - batchStarted);
    }
    const seconds = (performance.now() - started) / 1000;
    const words = texts.map((text) => text.split(/\s+/).length);
    return {
      memories: texts.length,
      batchSize,
      wordsMin: Math.min(...words),
      wordsMax: Math.max(...words),
      memoriesPerSecond: Math.round(texts.length / seconds),
      rssMb: server.rssMb(),
    };
  } finally {
    await server.stop();
    rmSync(dbPath, { force: true });
  }
}

/** Spawn → "Engram ready" and → first 200 on /api/health, on a new and an existing database. */
export async function benchStartup(newDbPath, bigDbPath) {
  const once = async (path, options) => {
    const server = await startServer(path, options);
    await server.stop();
    return { readyMs: server.readyMs, healthMs: server.healthMs };
  };
  return {
    newDatabase: await once(newDbPath),
    existingDatabase: await once(newDbPath),
    npmStartExisting: await once(newDbPath, { viaNpm: true }),
    existingLargeDatabase: await once(bigDbPath),
  };
}
