#!/usr/bin/env node
/**
 * MCP tool-call latency: `memory_store` and `memory_search` at 10k memories over Streamable HTTP (the
 * api on loopback) and over stdio (`engram mcp`), and the same workload against the official reference
 * memory server (@modelcontextprotocol/server-memory, stdio, JSONL knowledge graph) on this machine in
 * the same run. Writes bench/results/mcp.json and regenerates docs/benchmarks.md.
 *   node bench/mcp-latency.mjs [--quick]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
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

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
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

async function checked(client, name, toolArgs) {
  const result = await client.callTool({ name, arguments: toolArgs });
  if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
  return result;
}

/** The Engram workload: store a new note, search with a natural-language query (hybrid, limit 10). */
async function engramWorkload(client, label, queries) {
  const store = await timeCalls(plan.calls, (i) =>
    checked(client, 'memory_store', { content: `${label} benchmark note ${i}: ${queries[i % queries.length]}` }),
  );
  const search = await timeCalls(plan.calls, (i) =>
    checked(client, 'memory_search', { query: queries[i % queries.length], limit: 10 }),
  );
  return { memory_store: store, memory_search: search };
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

  log('Streamable HTTP (api on loopback, one session)');
  const server = await startServer(db);
  const http = await connect(new StreamableHTTPClientTransport(new URL('/mcp', server.url)));
  const overHttp = await engramWorkload(http, 'http', queries);
  await http.close();
  await server.stop();

  log('stdio (engram mcp)');
  const stdio = await connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [join(DIST, 'cli', 'engram.js'), 'mcp'],
      env: { PATH: process.env.PATH ?? '', HOME: work, MCP_MEMORY_SQLITE_PATH: db, LOG_LEVEL: 'warn' },
      stderr: 'ignore',
    }),
  );
  const overStdio = await engramWorkload(stdio, 'stdio', queries);
  await stdio.close();

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
    name: args.quick ? 'mcp-quick' : 'mcp',
    quick: args.quick,
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
