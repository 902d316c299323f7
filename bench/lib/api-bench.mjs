/** Measurements against the real api process: REST search, batch ingest, start-up. */
import { rmSync } from 'node:fs';
import { postJson, startServer } from './server.mjs';
import { summarise, timeEach } from './stats.mjs';

/**
 * Hybrid POST /api/search latency (embedding included) and the api's RSS afterwards. The warm-up texts
 * differ from the timed ones, so no timed query is answered from the api's recent-query cache.
 */
export async function benchRestSearch(dbPath, { warmup, timed }, env = {}) {
  const server = await startServer(dbPath, { env });
  const search = (query) => postJson(`${server.url}/api/search`, { query, mode: 'hybrid', limit: 10 });
  try {
    for (const query of warmup) await search(query);
    const latency = await timeEach(timed, search, 0);
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

/**
 * `clients` clients each sending `perClient` hybrid searches one after another, all at once, against one
 * api; every query text is distinct, so none is answered from the api's recent-query cache.
 */
export async function benchRestConcurrency(dbPath, queries, clients, perClient, env = {}) {
  if (queries.length < clients * perClient + 10) throw new Error(`need ${clients * perClient + 10} distinct queries`);
  const server = await startServer(dbPath, { env });
  const search = (query) => postJson(`${server.url}/api/search`, { query, mode: 'hybrid', limit: 10 });
  try {
    for (const query of queries.slice(0, 10)) await search(query);
    const samples = [];
    const client = async (c) => {
      for (const query of queries.slice(10 + c * perClient, 10 + (c + 1) * perClient)) {
        const started = performance.now();
        await search(query);
        samples.push(performance.now() - started);
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
    const seconds = (performance.now() - started) / 1000;
    return { clients, latency: summarise(samples), searchesPerSecond: Math.round(samples.length / seconds) };
  } finally {
    await server.stop();
  }
}

/** Memories per second through the batch endpoint, batches sent one after another. */
export async function benchIngest(dbPath, texts, batchSize, env = {}) {
  const server = await startServer(dbPath, { env });
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
  return {
    newDatabase: await benchStartOnce(newDbPath),
    existingDatabase: await benchStartOnce(newDbPath),
    npmStartExisting: await benchStartOnce(newDbPath, { viaNpm: true }),
    existingLargeDatabase: await benchStartOnce(bigDbPath),
  };
}

/** One start: spawn → "Engram ready" and → first 200 on /api/health. */
export async function benchStartOnce(dbPath, options) {
  const server = await startServer(dbPath, options);
  await server.stop();
  return { readyMs: server.readyMs, healthMs: server.healthMs };
}
