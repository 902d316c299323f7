#!/usr/bin/env node
/**
 * Import benchmarks: throughput (memories/s, end to end: validation pass, chunking, embedding with the
 * local model, storing) of a ChatGPT export with 10k messages and of a 200-page PDF set, and peak RSS
 * while streaming exports of growing size (memory must not grow with the file). Writes
 * bench/results/imports.json and regenerates docs/benchmarks.md.
 *   node bench/import-bench.mjs [--messages 10000] [--pages 200]
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setInterval, clearInterval } from 'node:timers';
import { parseArgs } from 'node:util';
import { fromDist, ROOT } from './lib/dist.mjs';
import { writeBenchmarksDoc } from './lib/render-doc.mjs';
import { machineInfo } from './lib/machine.mjs';

const { loadConfig } = fromDist('config/config.loader.js');
const { createWorkerContext } = fromDist('worker/worker-context.js');
const { ImportsService } = fromDist('imports/imports.service.js');
const { ImportInput } = fromDist('imports/input/import-input.js');
const { importerFor } = fromDist('imports/importer-registry.js');
const { chatGptExport, pdfOf, zipOf } = fromDist('testing/import-fixtures.js');

const { values: args } = parseArgs({
  options: { messages: { type: 'string', default: '10000' }, pages: { type: 'string', default: '200' } },
});
const MESSAGES = Number(args.messages);
const PAGES = Number(args.pages);
const work = mkdtempSync(join(tmpdir(), 'engram-import-bench-'));
const log = (message) => process.stderr.write(`[import-bench] ${message}\n`);
const round = (value, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const mib = (bytes) => round(bytes / 2 ** 20, 2);
const SILENT_JOB = { jobId: 'bench', progress: async () => undefined, throwIfCancelled: async () => undefined };

/** Samples RSS every 20 ms while `work` runs; returns its result, the seconds it took and the peak RSS. */
async function measured(work, { collect = false } = {}) {
  const held = () => {
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.arrayBuffers;
  };
  let peak = process.memoryUsage.rss();
  let peakHeld = held();
  const sample = () => {
    // With collect, garbage is dropped first: the peak is what the reader keeps alive, not what awaits the GC.
    if (collect) globalThis.gc?.();
    peak = Math.max(peak, process.memoryUsage.rss());
    peakHeld = Math.max(peakHeld, held());
  };
  const timer = setInterval(sample, collect ? 100 : 20);
  const started = performance.now();
  try {
    const result = await work();
    sample();
    return { result, seconds: (performance.now() - started) / 1000, peakRss: peak, peakHeld };
  } finally {
    clearInterval(timer);
  }
}

function chatGptZip(path, messages) {
  // Four messages (two exchanges) per conversation.
  const json = JSON.stringify(chatGptExport(messages / 4));
  writeFileSync(
    path,
    zipOf([
      { name: 'conversations.json', data: json },
      { name: 'chat.html', data: '' },
    ]),
  );
  return { zipBytes: statSync(path).size, jsonBytes: Buffer.byteLength(json) };
}

function pdfSet(path, pages) {
  const perDocument = 20;
  const documents = Array.from({ length: Math.ceil(pages / perDocument) }, (_, d) => ({
    name: `reports/report_${d + 1}.pdf`,
    data: pdfOf(
      Array.from({ length: Math.min(perDocument, pages - d * perDocument) }, (_, p) =>
        Array.from(
          { length: 12 },
          (_, l) =>
            `Report ${d + 1}, page ${p + 1}, line ${l + 1}: revenue, costs and plans for region ${(d * 31 + p * 7 + l) % 50}.`,
        ),
      ),
    ),
  }));
  writeFileSync(path, zipOf(documents));
  return statSync(path).size;
}

/** The importer's streaming read alone (what holds the file in memory, if anything). */
async function streamOnly(path, source) {
  const input = await ImportInput.open(path, 'export.zip', { maxUnpackedBytes: 2 ** 34, maxEntries: 100_000 });
  let documents = 0;
  for await (const entry of importerFor(source).read(input)) if (!entry.failure) documents++;
  return documents;
}

try {
  const config = loadConfig({
    env: { MCP_MEMORY_SQLITE_PATH: join(work, 'engram.db'), LOG_LEVEL: 'error' },
    cwd: work,
  });
  const context = await createWorkerContext(config, 'cli', false);
  await context.init();
  const imports = context.get(ImportsService);
  const run = (path, source) =>
    imports.runImport(
      { source, target: 'memories', dryRun: false, namespace: 'default', input: { kind: 'local', path } },
      SILENT_JOB,
    );

  const results = {
    kind: 'engram-import-bench',
    date: new Date().toISOString(),
    machine: machineInfo(),
    embedding: `${config.embedding.provider} (USE-lite, 512 dimensions)`,
    chunk: { chars: config.imports.chunkChars, overlap: config.imports.chunkOverlapChars },
  };

  // Warm the model so the first batch's load time is not counted as import time.
  await run(join(work, 'warm.md'), 'markdown').catch(() => undefined);
  writeFileSync(join(work, 'warm.md'), '# Warm up\n\nA note.');
  await run(join(work, 'warm.md'), 'markdown');
  const baseline = process.memoryUsage.rss();

  const chatPath = join(work, 'chatgpt.zip');
  const { zipBytes: chatBytes } = chatGptZip(chatPath, MESSAGES);
  log(`ChatGPT export: ${MESSAGES} messages, ${mib(chatBytes)} MiB zipped`);
  const chat = await measured(() => run(chatPath, 'chatgpt'));
  results.chatgpt = {
    messages: MESSAGES,
    zipBytes: chatBytes,
    conversations: chat.result.documents,
    memories: chat.result.stored,
    seconds: round(chat.seconds),
    memoriesPerSecond: round(chat.result.stored / chat.seconds),
    messagesPerSecond: round(MESSAGES / chat.seconds),
    peakRssMiB: mib(chat.peakRss),
  };
  const again = await measured(() => run(chatPath, 'chatgpt'));
  results.chatgptReimport = {
    duplicates: again.result.duplicates,
    stored: again.result.stored,
    seconds: round(again.seconds),
  };
  log(
    `  ${results.chatgpt.memories} memories in ${results.chatgpt.seconds} s; re-import ${results.chatgptReimport.seconds} s`,
  );

  const pdfPath = join(work, 'pdfs.zip');
  const pdfBytes = pdfSet(pdfPath, PAGES);
  log(`PDF set: ${PAGES} pages, ${mib(pdfBytes)} MiB`);
  const pdf = await measured(() => run(pdfPath, 'documents'));
  results.pdf = {
    pages: PAGES,
    documents: pdf.result.documents,
    zipBytes: pdfBytes,
    memories: pdf.result.stored,
    seconds: round(pdf.seconds),
    pagesPerSecond: round(PAGES / pdf.seconds),
    memoriesPerSecond: round(pdf.result.stored / pdf.seconds),
    peakRssMiB: mib(pdf.peakRss),
  };
  log(`  ${results.pdf.memories} memories in ${results.pdf.seconds} s`);

  // Streaming: the same reading over exports 1x, 4x and 16x the size; peak heap and buffers above the start.
  results.streaming = [];
  for (const factor of [1, 4, 16]) {
    const path = join(work, `stream-${factor}.zip`);
    const { zipBytes, jsonBytes } = chatGptZip(path, MESSAGES * factor);
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const read = await measured(() => streamOnly(path, 'chatgpt'), { collect: true });
    results.streaming.push({
      messages: MESSAGES * factor,
      unpackedMiB: mib(jsonBytes),
      zipMiB: mib(zipBytes),
      conversations: read.result,
      seconds: round(read.seconds, 2),
      peakHeapAboveStartMiB: mib(Math.max(0, read.peakHeld - before)),
    });
    rmSync(path);
    log(`  streamed ${MESSAGES * factor} messages: +${results.streaming.at(-1).peakHeapAboveStartMiB} MiB`);
  }
  results.baselineRssMiB = mib(baseline);
  await context.close();

  writeFileSync(join(ROOT, 'bench', 'results', 'imports.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeBenchmarksDoc(join(ROOT, 'bench', 'results'), join(ROOT, 'docs', 'benchmarks.md'));
  log('wrote bench/results/imports.json and docs/benchmarks.md');
} finally {
  rmSync(work, { recursive: true, force: true });
}
