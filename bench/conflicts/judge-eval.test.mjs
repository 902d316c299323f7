import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { fromDist, ROOT } from '../lib/dist.mjs';
import { writeBenchmarksDoc } from '../lib/render-doc.mjs';
import { POSITIVE_KINDS } from './scoring.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { pairs } = JSON.parse(readFileSync(join(here, 'pairs.json'), 'utf8'));
const JUDGE_RESULTS = join(ROOT, 'bench', 'results', 'conflicts-judge.json');
/** The scripted judge cannot answer these (every tenth pair): the eval must count them unavailable. */
const garbled = (pair) => pair.id % 10 === 0;
/** The label itself as the verdict: a perfect judge, so the figures are known in advance. */
const VERDICT_OF_KIND = {
  contradiction: 'contradiction',
  update: 'update',
  duplicate: 'compatible',
  compatible: 'compatible',
  unrelated: 'unrelated',
};

function scriptedVerdict(messages) {
  const [older, newer] = messages[1].content.split('\n').map((line) => line.replace(/^(Older|Newer): /, ''));
  const pair = pairs.find((candidate) => candidate.older === older && candidate.newer === newer);
  if (!pair || garbled(pair)) return 'no idea';
  return JSON.stringify({ verdict: VERDICT_OF_KIND[pair.kind], reason: 'scripted' });
}

describe('npm run eval:conflicts -- --judge-url (wiring only, against a scripted chat server; nothing written)', () => {
  let judge;
  let report;
  const resultsBefore = existsSync(JUDGE_RESULTS) ? statSync(JUDGE_RESULTS).mtimeMs : undefined;

  before(async () => {
    const { startMemAgentTestDouble } = fromDist('testing/mem-agent.test-double.js');
    judge = await startMemAgentTestDouble([{ question: '', turns: [scriptedVerdict] }], 'scripted-judge');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        join(here, 'eval.mjs'),
        '--no-write',
        '--json',
        ...['--judge-url', judge.url, '--judge-model', 'scripted-judge', '--judge-api-key', 'eval-key-123'],
      ],
      { maxBuffer: 16 << 20 },
    );
    report = JSON.parse(stdout.trim().split('\n').at(-1));
  });
  after(() => judge?.close());

  it("asks the judge about every pair with the service's prompt and the key", () => {
    assert.equal(judge.requests.length, pairs.length);
    assert.ok(judge.requests.every((request) => request.authorization === 'Bearer eval-key-123'));
    assert.ok(judge.requests.every((request) => request.body.temperature === 0));
  });

  it('scores the judge alone and the CPU detector followed by the judge', () => {
    const positives = pairs.filter((pair) => POSITIVE_KINDS.has(pair.kind));
    const { judge_alone: alone, cpu_then_judge: pipeline, unavailable } = report.judge;
    assert.equal(unavailable, pairs.filter(garbled).length);
    assert.deepEqual(
      [alone.all.tp, alone.all.fp, alone.all.fn],
      [positives.filter((pair) => !garbled(pair)).length, 0, positives.filter(garbled).length],
    );
    assert.equal(pipeline.all.tp, report.all.tp, 'an unavailable judge lets the CPU proposal stand');
    assert.ok(pipeline.all.fp < report.all.fp, 'the judge removes CPU false positives it can answer');
    assert.equal(pipeline.all.precision > report.all.precision, true);
    assert.equal(
      report.judge.verdicts_by_kind.unrelated.unrelated,
      pairs.filter((p) => p.kind === 'unrelated' && !garbled(p)).length,
    );
  });

  it('is rendered in a benchmarks page beside the CPU figures (in a temporary folder)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-judge-render-'));
    try {
      const { judge: judgeReport, ...cpuReport } = report;
      writeFileSync(join(dir, 'conflicts-cpu.json'), JSON.stringify(cpuReport));
      writeFileSync(join(dir, 'conflicts-judge.json'), JSON.stringify(judgeReport));
      await writeBenchmarksDoc(dir, join(dir, 'benchmarks.md'));
      const page = readFileSync(join(dir, 'benchmarks.md'), 'utf8');
      assert.match(page, /### With the LLM judge \(scripted-judge\)/);
      assert.match(page, /\| CPU then judge, held-out half +\| +\d\.\d{3} \|/);
      assert.doesNotMatch(page, /not measured here/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes no results file (a scripted judge has no figures worth keeping)', () => {
    const after = existsSync(JUDGE_RESULTS) ? statSync(JUDGE_RESULTS).mtimeMs : undefined;
    assert.equal(after, resultsBefore);
  });
});
