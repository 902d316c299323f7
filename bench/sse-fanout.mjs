#!/usr/bin/env node
/**
 * SSE fan-out: S subscribers on loopback (in child processes), W sequential writes through
 * POST /api/memories; for every write and every subscriber, the time from the write's 201 to the
 * event's arrival; the api's RSS idle, with the subscribers connected, and at its peak during the writes.
 * Runs in-process (no Redis) and, when redis-server is installed, through Redis pub/sub; each with the local
 * embedding model (the default a user gets) and with a stand-in OpenAI-compatible embedding server, which takes
 * the model's CPU out of the picture and so isolates the event path.
 * Writes bench/results/sse-fanout.json and regenerates docs/benchmarks.md.
 *   node bench/sse-fanout.mjs [--subscribers 200] [--writes 1000]
 */
import { fork, spawnSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearInterval, setInterval } from 'node:timers';
import { parseArgs } from 'node:util';
import { fromDist, ROOT } from './lib/dist.mjs';
import { writeBenchmarksDoc } from './lib/render-doc.mjs';
import { startServer } from './lib/server.mjs';
import { summarise } from './lib/stats.mjs';
import { machineInfo } from './lib/machine.mjs';

const { values: args } = parseArgs({
  options: { subscribers: { type: 'string', default: '200' }, writes: { type: 'string', default: '1000' } },
});
const SUBSCRIBERS = Number(args.subscribers);
const WRITES = Number(args.writes);
const SUBSCRIBER_PROCESSES = 2;
const log = (message) => process.stderr.write(`[sse-bench] ${message}\n`);
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const work = mkdtempSync(join(tmpdir(), 'engram-sse-bench-'));

try {
  const { startOpenAiEmbeddingsTestDouble } = fromDist('testing/openai-embeddings.test-double.js');
  const stub = await startOpenAiEmbeddingsTestDouble({ dimension: 64, model: 'stand-in' });
  const embedders = {
    local: {},
    'stand-in': {
      ENGRAM_EMBEDDING_PROVIDER: 'openai',
      MCP_EXTERNAL_EMBEDDING_URL: stub.url,
      MCP_EXTERNAL_EMBEDDING_MODEL: stub.model,
    },
  };
  const hasRedis = spawnSync('sh', ['-c', 'command -v redis-server']).status === 0;
  if (!hasRedis) log('redis-server not installed: the Redis scenarios are skipped');
  const { startTestRedis } = fromDist('testing/redis-server.js');
  const redis = hasRedis ? await startTestRedis() : undefined;
  const scenarios = [];
  try {
    for (const [embedder, embedderEnv] of Object.entries(embedders)) {
      scenarios.push(await runScenario('in-process', embedder, embedderEnv));
      if (redis) scenarios.push(await runScenario('redis', embedder, { ...embedderEnv, REDIS_URL: redis.url }));
    }
  } finally {
    await redis?.close();
    await stub.close();
  }
  const results = {
    kind: 'engram-sse-bench',
    date: new Date().toISOString(),
    machine: machineInfo(),
    subscribers: SUBSCRIBERS,
    writes: WRITES,
    scenarios,
  };
  const file = join(ROOT, 'bench', 'results', 'sse-fanout.json');
  writeFileSync(`${file}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  await writeBenchmarksDoc(join(ROOT, 'bench', 'results'), join(ROOT, 'docs', 'benchmarks.md'));
  log(`wrote ${file} and docs/benchmarks.md`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

async function runScenario(relay, embedder, env) {
  const name = `${relay}, ${embedder} embedder`;
  log(`${name}: starting the api`);
  // Every subscriber here is the one keyless caller: lift the per-credential cap to the subscriber count.
  const streams = { ENGRAM_SSE_MAX_CLIENTS_PER_CREDENTIAL: String(SUBSCRIBERS) };
  const server = await startServer(join(work, `${relay}-${embedder}.db`), { env: { ...env, ...streams } });
  try {
    await post(server.url, { content: 'warm-up: the first write loads the embedding model' });
    const rssIdleMb = server.rssMb();
    log(`${name}: connecting ${SUBSCRIBERS} subscribers`);
    const children = await Promise.all(
      Array.from({ length: SUBSCRIBER_PROCESSES }, (_, i) =>
        startSubscribers(server.url, share(SUBSCRIBERS, SUBSCRIBER_PROCESSES, i)),
      ),
    );
    const rssConnectedMb = server.rssMb();
    let rssPeakMb = rssConnectedMb;
    const sampler = setInterval(() => (rssPeakMb = Math.max(rssPeakMb, server.rssMb())), 100);

    log(`${name}: ${WRITES} writes`);
    const writes = [];
    for (let i = 0; i < WRITES; i++) {
      const sentAt = nowMs();
      const { content_hash } = await post(server.url, { content: `fan-out write ${i}: ${relay} ${Date.now()}` });
      writes.push({ hash: content_hash, sentAt, ackAt: nowMs() });
    }
    const reports = await Promise.all(children.map((child) => collect(child, writes.at(-1).hash)));
    clearInterval(sampler);

    const receipts = new Map();
    for (const report of reports) {
      for (const [hash, times] of report.receipts) receipts.set(hash, [...(receipts.get(hash) ?? []), ...times]);
    }
    const fromAck = [];
    const fromSend = [];
    let delivered = 0;
    for (const { hash, sentAt, ackAt } of writes) {
      for (const at of receipts.get(hash) ?? []) {
        delivered++;
        fromAck.push(at - ackAt);
        fromSend.push(at - sentAt);
      }
    }
    const beforeAck = fromAck.filter((ms) => ms < 0).length;
    const scenario = {
      relay,
      embedder,
      expectedDeliveries: WRITES * SUBSCRIBERS,
      delivered,
      framesReceived: reports.reduce((sum, report) => sum + report.frames, 0),
      latencyFromAckMs: summarise(fromAck.map((ms) => Math.max(0, ms))),
      deliveredBeforeAck: round(beforeAck / Math.max(1, delivered), 3),
      latencyFromRequestMs: summarise(fromSend),
      writeMs: summarise(writes.map((write) => write.ackAt - write.sentAt)),
      rssMb: { idle: rssIdleMb, connected: rssConnectedMb, peak: rssPeakMb },
    };
    log(
      `${name}: ${delivered}/${scenario.expectedDeliveries} delivered, from ack p50 ${scenario.latencyFromAckMs.p50} ms, p99 ${scenario.latencyFromAckMs.p99} ms, RSS peak ${rssPeakMb} MB`,
    );
    return scenario;
  } finally {
    await server.stop();
  }
}

function startSubscribers(url, count) {
  const child = fork(join(ROOT, 'bench', 'lib', 'sse-subscribers.mjs'), [url, String(count)]);
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`subscriber process exited with ${code}`)));
  });
}

/** The child's receipts, once each of its streams has the last write. */
function collect(child, lastHash) {
  return new Promise((resolve) => {
    child.once('message', resolve);
    child.send({ lastHash });
  });
}

async function post(url, body) {
  const response = await fetch(`${url}/api/memories`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 201) throw new Error(`POST /api/memories answered ${response.status}`);
  return response.json();
}

function share(total, parts, index) {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}

function round(value, digits) {
  return Math.round(value * 10 ** digits) / 10 ** digits;
}
