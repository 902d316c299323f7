#!/usr/bin/env node
/**
 * Precision and recall of the CPU contradiction detector on the labelled pairs in pairs.json (made up,
 * no personal data). Each pair is embedded with the embedded default model (USE-lite, as the service
 * does), then judged by the same `detectContradiction` the conflict scan runs. Positive: contradiction
 * or update; negative: duplicate, compatible, unrelated. Odd ids are the half the rules were tuned on,
 * even ids the held-out half; both are reported, and the held-out figure is the one to quote.
 *
 *   npm run eval:conflicts [-- --json] [-- --no-write] [-- --show-errors]
 *   npm run eval:conflicts -- --judge-url <OpenAI-compatible …/v1> --judge-model <name> [--judge-api-key <key>]
 *                             [--judge-timeout-ms 60000] [--judge-concurrency 2]
 *
 * With --judge-url, the LLM judge (ENGRAM_CONFLICTS_JUDGE_URL in the service) is measured as well: alone on
 * every pair, and on the CPU detector's proposals as the service uses it (judge-eval.mjs). Run it against a
 * real model only: a scripted test server's figures mean nothing (its tests pass --no-write).
 *
 * Needs a build. Writes the figures (never pair text) to bench/results/conflicts-cpu.json (and
 * conflicts-judge.json with a judge) and re-renders docs/benchmarks.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fromDist, ROOT } from '../lib/dist.mjs';
import { writeBenchmarksDoc } from '../lib/render-doc.mjs';
import { evaluateJudge } from './judge-eval.mjs';
import { cosine, scoreDetector } from './scoring.mjs';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    'show-errors': { type: 'boolean', default: false },
    'judge-url': { type: 'string' },
    'judge-model': { type: 'string' },
    'judge-api-key': { type: 'string' },
    'judge-timeout-ms': { type: 'string', default: '60000' },
    'judge-concurrency': { type: 'string', default: '2' },
  },
});
const judgeSettings = readJudgeArgs(args);

const { pairs } = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'pairs.json'), 'utf8'));
const { LocalUseEmbedder } = fromDist('embeddings/local-use.embedder.js');
const { detectContradiction } = fromDist('conflicts/contradiction-detector.js');

const embedder = new LocalUseEmbedder({ batchSize: 32 });
await embedder.init();
const texts = [...new Set(pairs.flatMap((pair) => [pair.older, pair.newer]))];
const vectors = new Map((await embedder.embed(texts)).map((vector, i) => [texts[i], vector]));
await embedder.close();

const started = performance.now();
const judged = pairs.map((pair) => {
  const similarity = cosine(vectors.get(pair.older), vectors.get(pair.newer));
  const finding = detectContradiction(
    { content: pair.older, createdAt: 0 },
    { content: pair.newer, createdAt: 1 },
    similarity,
  );
  return { ...pair, similarity, proposed: finding !== undefined, finding };
});
const detectMs = performance.now() - started;

const report = {
  kind: 'engram-conflicts-eval',
  detector: 'cpu',
  embedding_model: embedder.modelId,
  pairs: pairs.length,
  all: scoreDetector(judged),
  tuning_half: scoreDetector(judged.filter((pair) => pair.id % 2 === 1)),
  held_out_half: scoreDetector(judged.filter((pair) => pair.id % 2 === 0)),
  detect_ms_per_pair: Math.round((detectMs / pairs.length) * 1000) / 1000,
};

if (args['show-errors']) {
  for (const pair of judged) {
    const positive = pair.kind === 'contradiction' || pair.kind === 'update';
    if (positive === pair.proposed) continue;
    console.log(`${positive ? 'MISSED' : 'FALSE '} #${pair.id} ${pair.kind} sim=${pair.similarity.toFixed(2)}`);
    console.log(`   ${pair.older}\n   ${pair.newer}${pair.finding ? `\n   ${pair.finding.evidence.join(' | ')}` : ''}`);
  }
}
const row = (name, figures) =>
  `${name.padEnd(14)} precision ${figures.precision.toFixed(3)}  recall ${figures.recall.toFixed(3)}  ` +
  `(tp ${figures.tp}, fp ${figures.fp}, fn ${figures.fn}, tn ${figures.tn})`;
console.log(row('all', report.all));
console.log(row('tuning half', report.tuning_half));
console.log(row('held-out half', report.held_out_half));
console.log(`proposed by kind: ${JSON.stringify(report.all.proposed_by_kind)}`);
const judgeReport = judgeSettings && (await evaluateJudge(judged, judgeSettings));
if (judgeReport) {
  console.log(`judge ${judgeReport.judge_model}, ${judgeReport.unavailable} unavailable`);
  console.log(row('judge alone', judgeReport.judge_alone.held_out_half));
  console.log(row('cpu + judge', judgeReport.cpu_then_judge.held_out_half));
}
if (args.json) console.log(JSON.stringify(judgeReport ? { ...report, judge: judgeReport } : report));
if (!args['no-write']) {
  const results = join(ROOT, 'bench', 'results');
  mkdirSync(results, { recursive: true });
  writeFileSync(join(results, 'conflicts-cpu.json'), `${JSON.stringify(report, null, 2)}\n`);
  if (judgeReport) writeFileSync(join(results, 'conflicts-judge.json'), `${JSON.stringify(judgeReport, null, 2)}\n`);
  await writeBenchmarksDoc(results, join(ROOT, 'docs', 'benchmarks.md'));
}

/** The judge's settings from the command line, or undefined without --judge-url; exits naming a mistake. */
function readJudgeArgs(values) {
  const url = values['judge-url'];
  const fail = (message) => {
    console.error(`eval:conflicts: ${message}`);
    process.exit(2);
  };
  if (url === undefined) {
    if (values['judge-model'] !== undefined || values['judge-api-key'] !== undefined)
      fail('--judge-model and --judge-api-key need --judge-url');
    return undefined;
  }
  if (!/^https?:\/\//.test(url) || !URL.canParse(url)) fail(`--judge-url ${url} is not an http(s) URL`);
  if (values['judge-model'] === undefined) fail('--judge-url needs --judge-model');
  const integer = (name, min, max) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < min || value > max)
      fail(`--${name} must be an integer from ${min} to ${max}`);
    return value;
  };
  return {
    url,
    model: values['judge-model'],
    apiKey: values['judge-api-key'] ?? process.env.ENGRAM_CONFLICTS_JUDGE_API_KEY,
    timeoutMs: integer('judge-timeout-ms', 100, 600_000),
    concurrency: integer('judge-concurrency', 1, 32),
  };
}
