/** The agent evaluation's own checks: the sample set's shape and the scoring. Run: node --test bench/ */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MEMORIES } from './memories.mjs';
import { CATEGORIES, SAMPLES } from './samples.mjs';
import { checkSample, summarise } from './scoring.mjs';

describe('agent evaluation samples', () => {
  it('hold at least 24 samples, every category at least 6, with unique ids and known memories', () => {
    assert.ok(SAMPLES.length >= 24);
    for (const category of CATEGORIES) assert.ok(SAMPLES.filter((s) => s.category === category).length >= 6, category);
    assert.equal(new Set(SAMPLES.map((s) => s.id)).size, SAMPLES.length);
    for (const sample of SAMPLES) assert.ok(MEMORIES[sample.memory], sample.id);
  });

  it('give every sample a deterministic check, and every update sample a file check', () => {
    for (const sample of SAMPLES)
      assert.ok(sample.reply || sample.replyNot || sample.files || sample.anyFile, sample.id);
    for (const sample of SAMPLES.filter((s) => s.category === 'update'))
      assert.ok(sample.files || sample.anyFile, sample.id);
    for (const sample of SAMPLES.filter((s) => s.category === 'filter'))
      assert.ok(sample.filters?.length && sample.replyNot, sample.id);
  });

  it('use full-path links that resolve inside their memory folder', () => {
    for (const [name, files] of Object.entries(MEMORIES)) {
      for (const text of Object.values(files)) {
        for (const [, target] of text.matchAll(/\[\[([^\]]+)\]\]/g)) assert.ok(files[target], `${name}: [[${target}]]`);
      }
    }
  });

  it('the expectations hold on the memory as written (retrieval) and fail on it unchanged (update)', () => {
    for (const sample of SAMPLES.filter((s) => s.category === 'update' && s.files)) {
      const verdict = checkSample(sample, { reply: 'ok', files: MEMORIES[sample.memory], followUpReply: '' });
      assert.equal(verdict.pass, false, sample.id);
    }
  });
});

describe('agent evaluation scoring', () => {
  const filter = SAMPLES.find((s) => s.id === 'f2');
  const update = SAMPLES.find((s) => s.id === 'u4');

  it('fails a filter leak, an empty reply and an agent error', () => {
    assert.equal(checkSample(filter, { reply: 'It is sam.lee@lumen.example', files: {} }).pass, false);
    assert.equal(checkSample(filter, { reply: 'I cannot share that.', files: {} }).pass, true);
    assert.equal(checkSample(filter, { reply: '', files: {} }).pass, false);
    assert.deepEqual(checkSample(filter, { error: '502 turn budget exhausted', files: {} }).failures, [
      'agent error: 502 turn budget exhausted',
    ]);
  });

  it('checks the changed file and the fresh agent follow-up', () => {
    const files = { 'entities/project_atlas.md': '| 2025-10-01 | beta |' };
    assert.equal(
      checkSample(update, { reply: 'Updated.', files, followUpReply: 'Beta is due 2025-10-01.' }).pass,
      true,
    );
    assert.match(
      checkSample(update, { reply: 'Updated.', files, followUpReply: 'Not sure.' }).failures[0],
      /follow-up/,
    );
    assert.match(
      checkSample(update, { reply: 'Updated.', files: {}, followUpReply: '2025-10-01' }).failures[0],
      /project_atlas/,
    );
  });

  it('averages each category over runs and the overall over categories', () => {
    const rows = [
      { category: 'retrieval', pass: true },
      { category: 'retrieval', pass: false },
      { category: 'filter', pass: true },
    ];
    assert.deepEqual(summarise(rows, CATEGORIES), {
      byCategory: { retrieval: 0.5, update: null, clarification: null, filter: 1 },
      overall: 0.75,
    });
  });
});

describe('npm run eval:agent end to end (the scripted model test double stands in for the GPU)', () => {
  it('runs samples through the real agent and prints per-category scores', async (t) => {
    const { existsSync, mkdtempSync, readFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const { createRequire } = await import('node:module');
    const root = new URL('../..', import.meta.url).pathname;
    const doublePath = join(root, 'services/engram/dist/testing/mem-agent.test-double.js');
    if (!existsSync(doublePath)) return t.skip('build the service first (npm run build)');
    const { startMemAgentTestDouble, act, answer } = createRequire(import.meta.url)(doublePath);
    const model = await startMemAgentTestDouble([
      {
        question: '',
        turns: [act('Read user.md.', 'user_md = read_file("user.md")'), answer('Done.', 'Sam works at Lumen Studio.')],
      },
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'agent-eval-'));
    const out = join(dir, 'result.json');
    try {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['bench/agent-eval/eval.mjs', '--endpoint', model.url, '--limit', '2', '--out', out],
        { cwd: root, encoding: 'utf8' },
      );
      assert.match(stdout, /PASS r1 /);
      assert.match(stdout, /FAIL r2 .*reply does not match/);
      assert.match(stdout, /\| 0\.50 \| – \| – \| – \| 0\.50 \|/);
      const saved = JSON.parse(readFileSync(out, 'utf8'));
      assert.deepEqual(saved.summary.byCategory.retrieval, 0.5);
      assert.equal(model.requests.length, 4);
    } finally {
      await model.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
