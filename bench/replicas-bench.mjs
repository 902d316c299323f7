/**
 * Engram api replicas on one PostgreSQL: search and write throughput with 1, 2 and 3 replicas, and each
 * replica's CPU time per request (what predicts scaling on a cluster with a core per replica; a 2-core
 * machine cannot show linear scaling itself). The database is PGlite served over the wire protocol in
 * this process (single-threaded WebAssembly: a floor, and the shared bottleneck here); Redis is a real
 * redis-server; embeddings are each replica's own local model.
 *
 *   npm run bench:replicas [-- --seconds 20 --clients 6 --replicas 1,2,3]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Corpus } from './lib/corpus.mjs';
import { fromDist, ROOT } from './lib/dist.mjs';
import { machineInfo } from './lib/machine.mjs';
import { writeBenchmarksDoc } from './lib/render-doc.mjs';
import { postJson, startServer } from './lib/server.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    clients: { type: 'string', default: '6' },
    replicas: { type: 'string', default: '1,2,3' },
    'write-share': { type: 'string', default: '0.2' },
    output: { type: 'string', default: join(ROOT, 'bench', 'results', 'replicas.json') },
  },
});
const seconds = Number(values.seconds);
const clients = Number(values.clients);
const writeShare = Number(values['write-share']);
const replicaCounts = values.replicas.split(',').map(Number);
if (![seconds, clients, writeShare, ...replicaCounts].every((n) => Number.isFinite(n) && n >= 0) || clients < 1) {
  console.error('replicas-bench: --seconds, --clients, --write-share and --replicas take positive numbers');
  process.exit(64);
}

const { startTestPostgres } = fromDist('testing/postgres-test-server.js');
const { startTestRedis } = fromDist('testing/redis-server.js');
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** User plus system CPU of a process (its threads included), in milliseconds. */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

const corpus = new Corpus(11);
const texts = corpus.sentences(20_000);
let nextText = 0;
const take = () => texts[nextText++ % texts.length];

async function measure(replicaCount) {
  const postgres = await startTestPostgres();
  const redis = await startTestRedis();
  const env = { MCP_MEMORY_STORAGE_BACKEND: 'postgres', DATABASE_URL: postgres.url, REDIS_URL: redis.url };
  const servers = [];
  try {
    const dir = join(tmpdir(), `engram-replicas-${process.pid}`);
    for (let i = 0; i < replicaCount; i++) servers.push(await startServer(join(dir, 'unused.db'), { env }));
    // A store to search: 2,000 memories written through the first replica, then a warm-up on every one.
    for (let i = 0; i < 20; i++) {
      await postJson(`${servers[0].url}/api/memories/batch`, {
        memories: Array.from({ length: 100 }, () => ({ content: take() })),
      });
    }
    for (const server of servers) {
      for (let i = 0; i < 5; i++) await postJson(`${server.url}/api/search`, { query: take(), limit: 10 });
    }
    const before = servers.map((server) => cpuMs(server.pid));
    const benchBefore = process.cpuUsage();
    const counts = { searches: 0, writes: 0, errors: 0 };
    const deadline = performance.now() + seconds * 1000;
    let turn = 0;
    const client = async () => {
      while (performance.now() < deadline) {
        const server = servers[turn++ % servers.length];
        const write = Math.random() < writeShare;
        try {
          if (write) await postJson(`${server.url}/api/memories`, { content: take() });
          else await postJson(`${server.url}/api/search`, { query: take(), mode: 'hybrid', limit: 10 });
          counts[write ? 'writes' : 'searches'] += 1;
        } catch {
          counts.errors += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: clients }, client));
    const cpu = servers.map((server, i) => cpuMs(server.pid) - before[i]);
    const benchCpu = process.cpuUsage(benchBefore);
    const requests = counts.searches + counts.writes;
    return {
      replicas: replicaCount,
      requestsPerSecond: Math.round((requests / seconds) * 10) / 10,
      searchesPerSecond: Math.round((counts.searches / seconds) * 10) / 10,
      writesPerSecond: Math.round((counts.writes / seconds) * 10) / 10,
      errors: counts.errors,
      // Each replica served about 1/N of the requests (round robin).
      cpuMsPerRequestPerReplica: cpu.map((ms) => Math.round((ms / (requests / replicaCount)) * 10) / 10),
      // This process runs the database (PGlite) and the clients.
      databaseAndClientsCpuMsPerRequest: Math.round(((benchCpu.user + benchCpu.system) / 1000 / requests) * 10) / 10,
    };
  } finally {
    for (const server of servers) await server.stop();
    await redis.close();
    await postgres.close();
  }
}

const runs = [];
for (const count of replicaCounts) {
  console.log(`replicas: ${count} for ${seconds} s with ${clients} clients`);
  const run = await measure(count);
  console.log(JSON.stringify(run));
  runs.push(run);
}
const result = {
  kind: 'engram-replicas-bench',
  date: new Date().toISOString(),
  machine: machineInfo(),
  database:
    'PGlite 0.5 (single-threaded WebAssembly PostgreSQL + pgvector) over the wire protocol, in the bench process',
  embeddings: 'each replica its local model',
  seconds,
  clients,
  writeShare,
  runs,
};
writeFileSync(values.output, `${JSON.stringify(result, null, 2)}\n`);
await writeBenchmarksDoc(join(ROOT, 'bench', 'results'), join(ROOT, 'docs', 'benchmarks.md'));
console.log(`wrote ${values.output}`);
