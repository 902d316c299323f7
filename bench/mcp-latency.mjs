#!/usr/bin/env node
/**
 * MCP tool-call latency at 10k memories, for clients of both protocol eras (2025-11-25 with the v1 SDK
 * client, 2026-07-28 with the v2 client pinned to it) over Streamable HTTP (the api on loopback) and over
 * stdio (`engram mcp`): `memory_get` (one row: what the transport costs), `memory_store` and
 * `memory_search` (embedding included). The same workload runs against the official reference memory
 * server (@modelcontextprotocol/server-memory, stdio, JSONL knowledge graph) in the same run. An era the
 * server does not speak is recorded as null. Writes bench/results/mcp.json (or --out) and regenerates
 * docs/benchmarks.md.
 *   node bench/mcp-latency.mjs [--quick] [--out name] [--label 'heading suffix']
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernHttpTransport,
} from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdioTransport } from '@modelcontextprotocol/client/stdio';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Corpus } from './lib/corpus.mjs';
import { composedMemories, embeddedSentences, startEmbedder, writeDatabase } from './lib/dataset.mjs';
import { DIST, ROOT } from './lib/dist.mjs';
import { writeBenchmarksDoc } from './lib/render-doc.mjs';
import { startServer } from './lib/server.mjs';
import { summarise } from './lib/stats.mjs';
import { machineInfo } from './lib/machine.mjs';

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, out: { type: 'string' }, label: { type: 'string' } },
});
const plan = args.quick ? { memories: 2_000, calls: 100 } : { memories: 10_000, calls: 300 };
const WARMUP = 10;
const work = mkdtempSync(join(tmpdir(), 'engram-mcp-bench-'));
const log = (message) => process.stderr.write(`[mcp-bench] ${message}\n`);
const REFERENCE_SERVER = join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-memory', 'dist', 'index.js');

/** Times `call(i)` for i in [0, n) after WARMUP untimed calls (which use indexes past n). */
async function timeCalls(n, call) {
  for (let i = 0; i < WARMUP; i++) await call(n + i);
  const samples = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await call(i);
    samples.push(performance.now() - started);
  }
  return summarise(samples);
}

async function connect(transport) {
  const client = new Client({ name: 'engram-bench', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

/** One client per era: the v1 SDK (2025-11-25) and the v2 client pinned to 2026-07-28. */
const ERAS = {
  legacy: {
    http: (url) => connect(new StreamableHTTPClientTransport(url)),
    stdio: (params) => connect(new StdioClientTransport(params)),
  },
  modern: {
    http: (url) => connectModern(new ModernHttpTransport(url)),
    stdio: (params) => connectModern(new ModernStdioTransport(params)),
  },
};

async function connectModern(transport) {
  const client = new ModernClient(
    { name: 'engram-bench', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await client.connect(transport);
  return client;
}

/** The workload for one era over one transport, or null when the server does not speak that era. */
async function measureEra(era, open, label, queries, hash) {
  let client;
  try {
    client = await open();
  } catch (error) {
    log(`${label}: ${era} era not served (${error.message.split('\n')[0]})`);
    return null;
  }
  try {
    return await engramWorkload(client, `${label}-${era}`, queries, hash);
  } finally {
    await client.close();
  }
}

async function checked(client, name, toolArgs) {
  const result = await client.callTool({ name, arguments: toolArgs });
  if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
  return result;
}

/**
 * The Engram workload: read one memory by hash (the cheapest tool: mostly transport), store a new note,
 * search with a natural-language query (hybrid, limit 10).
 */
async function engramWorkload(client, label, queries, hash) {
  const get = await timeCalls(plan.calls, () => checked(client, 'memory_get', { content_hash: hash }));
  const store = await timeCalls(plan.calls, (i) =>
    checked(client, 'memory_store', { content: `${label} benchmark note ${i}: ${queries[i % queries.length]}` }),
  );
  const search = await timeCalls(plan.calls, (i) =>
    checked(client, 'memory_search', { query: queries[i % queries.length], limit: 10 }),
  );
  return { memory_get: get, memory_store: store, memory_search: search };
}

try {
  const started = performance.now();
  log(`building a database of ${plan.memories} memories`);
  const embedder = await startEmbedder();
  const material = await embeddedSentences(embedder, 2_000);
  const memories = composedMemories(material, plan.memories);
  const model = { modelId: embedder.modelId, dimension: embedder.dimension };
  await embedder.close();
  const db = join(work, 'engram.db');
  writeDatabase(db, memories, model);
  const queries = new Corpus(99).queries(plan.calls + WARMUP);

  const hash = createHash('sha256').update(memories[0].content.trim().toLowerCase()).digest('hex');

  const server = await startServer(db);
  const url = new URL('/mcp', server.url);
  const overHttp = {};
  for (const era of Object.keys(ERAS)) {
    log(`Streamable HTTP (api on loopback), ${era} era`);
    overHttp[era] = await measureEra(era, () => ERAS[era].http(url), 'http', queries, hash);
  }
  await server.stop();

  const stdioParams = {
    command: process.execPath,
    args: [join(DIST, 'cli', 'engram.js'), 'mcp'],
    env: { PATH: process.env.PATH ?? '', HOME: work, MCP_MEMORY_SQLITE_PATH: db, LOG_LEVEL: 'warn' },
    stderr: 'ignore',
  };
  const overStdio = {};
  for (const era of Object.keys(ERAS)) {
    log(`stdio (engram mcp), ${era} era`);
    overStdio[era] = await measureEra(era, () => ERAS[era].stdio(stdioParams), 'stdio', queries, hash);
  }

  log('reference: @modelcontextprotocol/server-memory (stdio)');
  const reference = await connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [REFERENCE_SERVER],
      env: { PATH: process.env.PATH ?? '', HOME: work, MEMORY_FILE_PATH: join(work, 'reference-memory.jsonl') },
      stderr: 'ignore',
    }),
  );
  // The same 10k texts, one entity each (its knowledge graph has no other unit of memory).
  for (let start = 0; start < memories.length; start += 1000) {
    const entities = memories.slice(start, start + 1000).map((memory, i) => ({
      name: `memory-${start + i}`,
      entityType: 'note',
      observations: [memory.content],
    }));
    await checked(reference, 'create_entities', { entities });
  }
  const referenceStore = await timeCalls(plan.calls, (i) =>
    checked(reference, 'create_entities', {
      entities: [{ name: `bench-${i}`, entityType: 'note', observations: [`benchmark note ${i}: ${queries[i]}`] }],
    }),
  );
  // search_nodes matches a substring; one query word keeps its result lists comparable in size.
  const referenceSearch = await timeCalls(plan.calls, (i) =>
    checked(reference, 'search_nodes', { query: queries[i % queries.length].split(' ')[0] }),
  );
  await reference.close();

  const results = {
    kind: 'engram-mcp-bench',
    name: args.out ?? (args.quick ? 'mcp-quick' : 'mcp'),
    quick: args.quick,
    label: args.label,
    date: new Date().toISOString(),
    machine: machineInfo(),
    memories: plan.memories,
    callsPerTool: plan.calls,
    engram: { http: overHttp, stdio: overStdio },
    reference: {
      package: '@modelcontextprotocol/server-memory',
      transport: 'stdio',
      store: { tool: 'create_entities', ...referenceStore },
      search: { tool: 'search_nodes', ...referenceSearch },
    },
    seconds: Math.round((performance.now() - started) / 1000),
  };
  writeFileSync(join(ROOT, 'bench', 'results', `${results.name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  await writeBenchmarksDoc(join(ROOT, 'bench', 'results'), join(ROOT, 'docs', 'benchmarks.md'));
  log(`done in ${results.seconds} s`);
  log(JSON.stringify({ http: overHttp, stdio: overStdio, reference: results.reference }, null, 1));
} finally {
  rmSync(work, { recursive: true, force: true });
}
