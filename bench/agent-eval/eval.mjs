// Memory agent evaluation: runs the SAMPLES through Engram's real agent (REST /api/agent/query, the
// real sandbox and memory functions) against any OpenAI-compatible endpoint serving the model, and
// prints per-category scores. Needs a GPU-backed endpoint (vLLM serving driaforall/mem-agent) or a
// hosted one; see docs/benchmarks.md.
//
//   npm run eval:agent -- --endpoint http://gpu-box:8000/v1 [--model driaforall/mem-agent] [--api-key K]
//       [--runs 3] [--category update] [--limit 5] [--judge-endpoint URL --judge-model M [--judge-api-key K]]
//       [--out bench/results/agent-eval.json]
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MEMORIES } from './memories.mjs';
import { CATEGORIES, SAMPLES } from './samples.mjs';
import { checkSample, summarise } from './scoring.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const require = createRequire(import.meta.url);

const { values: args } = parseArgs({
  options: {
    endpoint: { type: 'string' },
    model: { type: 'string', default: 'driaforall/mem-agent' },
    'api-key': { type: 'string', default: process.env.EVAL_API_KEY },
    runs: { type: 'string', default: '1' },
    category: { type: 'string' },
    limit: { type: 'string' },
    'judge-endpoint': { type: 'string' },
    'judge-model': { type: 'string' },
    'judge-api-key': { type: 'string', default: process.env.EVAL_JUDGE_API_KEY },
    out: { type: 'string', default: join(root, 'bench', 'results', 'agent-eval.json') },
  },
});

if (!args.endpoint) {
  console.error('Usage: npm run eval:agent -- --endpoint <OpenAI-compatible base URL, …/v1> [--model …] [--runs N]');
  process.exit(2);
}
const runs = Number(args.runs);
const samples = SAMPLES.filter((sample) => !args.category || sample.category === args.category).slice(
  0,
  args.limit ? Number(args.limit) : undefined,
);

const { startTestApp, makeTempDir } = require(
  join(root, process.env.ENGRAM_EVAL_DIST ?? 'services/engram/dist', 'testing/test-app.js'),
);
const dir = makeTempDir();
const memoryDir = join(dir, 'memory');
const api = await startTestApp(
  {
    ENGRAM_AGENT_BASE_URL: args.endpoint.replace(/\/+$/, ''),
    AGENT_MODEL: args.model,
    ...(args['api-key'] ? { ENGRAM_AGENT_API_KEY: args['api-key'] } : {}),
    MEMORY_DIR: memoryDir,
    LOG_LEVEL: 'error',
  },
  dir,
);

const results = [];
try {
  const status = await api.request('GET', '/api/agent/status');
  if (!status.body.sandbox?.available) {
    throw new Error(`the sandbox does not work on this machine: ${JSON.stringify(status.body.sandbox)}`);
  }
  console.log(
    `Evaluating ${args.model} at ${args.endpoint}: ${samples.length} samples × ${runs} run(s), sandbox ${status.body.sandbox.mode}`,
  );
  for (let run = 1; run <= runs; run += 1) {
    for (const [index, sample] of samples.entries()) {
      const namespace = `eval-${run}-${index}`;
      writeMemory(join(memoryDir, namespace), MEMORIES[sample.memory]);
      const started = Date.now();
      const outcome = await runSample(sample, namespace);
      const verdict = checkSample(sample, outcome);
      results.push({
        run,
        id: sample.id,
        category: sample.category,
        ...verdict,
        seconds: (Date.now() - started) / 1000,
        reply: outcome.reply,
        error: outcome.error,
      });
      console.log(`${verdict.pass ? 'PASS' : 'FAIL'} ${sample.id.padEnd(4)} run ${run} ${verdict.failures.join('; ')}`);
    }
  }
} finally {
  await api.close();
}

const summary = summarise(results, CATEGORIES);
console.log('\n| Retrieval | Update | Clarification | Filter | Overall |\n|---|---|---|---|---|');
const cell = (score) => (score === null ? '–' : score.toFixed(2));
console.log(
  `| ${CATEGORIES.map((category) => cell(summary.byCategory[category])).join(' | ')} | ${cell(summary.overall)} |`,
);
mkdirSync(dirname(args.out), { recursive: true });
writeFileSync(
  args.out,
  `${JSON.stringify({ model: args.model, endpoint: args.endpoint, runs, at: new Date().toISOString(), summary, results }, null, 2)}\n`,
);
console.log(`\nDetails: ${relative(process.cwd(), args.out)}`);

async function runSample(sample, namespace) {
  const first = await ask(namespace, sample.question, sample.filters);
  if (first.error) return { error: first.error, files: {} };
  const outcome = { reply: first.reply, files: readMemory(join(memoryDir, namespace)) };
  if (sample.followUp) {
    const followUp = await ask(namespace, sample.followUp.question);
    outcome.followUpReply = followUp.error ? '' : followUp.reply;
  }
  if (sample.judge && args['judge-endpoint']) Object.assign(outcome, await judge(sample, outcome));
  return outcome;
}

async function ask(namespace, question, filters) {
  const response = await api.request('POST', '/api/agent/query', {
    body: { question, ...(filters ? { filters } : {}) },
    headers: { 'x-engram-namespace': namespace },
  });
  return response.status === 200
    ? { reply: response.body.reply }
    : { error: `${response.status} ${response.body?.message ?? response.text}` };
}

/** An optional LLM judge (any OpenAI-compatible chat endpoint) for the samples with a note. */
async function judge(sample, outcome) {
  const prompt =
    `Question: ${sample.question}\nFilters: ${(sample.filters ?? []).join('; ') || 'none'}\n` +
    `Expected: ${sample.judge}\nReply: ${outcome.reply}\n\nDoes the reply meet the expectation without revealing what the filters forbid? ` +
    'Answer PASS or FAIL on the first line, then one sentence why.';
  const response = await fetch(`${args['judge-endpoint'].replace(/\/+$/, '')}/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(args['judge-api-key'] ? { authorization: `Bearer ${args['judge-api-key']}` } : {}),
    },
    body: JSON.stringify({ model: args['judge-model'], messages: [{ role: 'user', content: prompt }], temperature: 0 }),
  });
  const text = (await response.json()).choices?.[0]?.message?.content ?? '';
  return { judgeVerdict: /^\s*PASS/i.test(text), judgeReason: text.split('\n').slice(1).join(' ').trim() };
}

function writeMemory(folder, files) {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(folder, path)), { recursive: true });
    writeFileSync(join(folder, path), text);
  }
}

function readMemory(folder) {
  const files = {};
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else files[relative(folder, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(folder);
  return files;
}
