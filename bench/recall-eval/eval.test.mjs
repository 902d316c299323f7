/**
 * The LoCoMo evaluation's wiring, end to end on invented conversations (never dataset content): eval.mjs as
 * a child process, embedding through an OpenAI-compatible `/v1/embeddings` test double and reranking through
 * a `/v1/rerank` test double, both real HTTP servers on loopback. Run: node --test bench/
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { fromDist, ROOT } from '../lib/dist.mjs';

const run = promisify(execFile);

/** One invented two-session conversation in LoCoMo's shape, with two answerable questions and one without evidence. */
function inventedSample(id) {
  return {
    sample_id: id,
    conversation: {
      speaker_a: 'Ana',
      speaker_b: 'Ben',
      session_1_date_time: '9:00 am on 3 March, 2024',
      session_1: [
        { speaker: 'Ana', dia_id: 'D1:1', text: 'I adopted a grey kitten called Pixel yesterday.' },
        { speaker: 'Ben', dia_id: 'D1:2', text: 'Lovely! I started learning the cello last month.' },
      ],
      session_2_date_time: '6:30 pm on 10 March, 2024',
      session_2: [
        { speaker: 'Ana', dia_id: 'D2:1', text: 'Pixel knocked my coffee off the desk this morning.' },
        { speaker: 'Ben', dia_id: 'D2:2', text: 'My cello teacher says my bowing has improved.' },
      ],
    },
    observation: {
      session_1_observation: {
        Ana: [['Ana adopted a grey kitten called Pixel.', 'D1:1']],
        Ben: [['Ben started learning the cello.', 'D1:2']],
      },
      session_2_observation: {
        Ana: [['Pixel knocked coffee off the desk.', 'D2:1']],
        Ben: [["Ben's cello teacher praised his bowing.", 'D2:2']],
      },
    },
    qa: [
      { question: 'What is the name of Ana’s kitten?', answer: 'Pixel', evidence: ['D1:1'], category: 4 },
      { question: 'Which instrument is Ben learning?', answer: 'cello', evidence: ['D1:2', 'D2:2'], category: 1 },
      { question: 'What colour is Ben’s car?', answer: 'unknown', evidence: [], category: 5 },
    ],
  };
}

describe('eval:locomo with an embedding endpoint and a reranker', () => {
  let dir;
  let embeddings;
  let reranker;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'engram-eval-test-'));
    writeFileSync(join(dir, 'invented.json'), JSON.stringify([inventedSample('conv-a'), inventedSample('conv-b')]));
    embeddings = await fromDist('testing/openai-embeddings.test-double.js').startOpenAiEmbeddingsTestDouble({
      dimension: 32,
    });
    reranker = await fromDist('testing/rerank.test-double.js').startRerankTestDouble();
  });
  after(async () => {
    await embeddings?.close();
    await reranker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const evaluate = (extra) =>
    run(
      process.execPath,
      [
        join(ROOT, 'bench/recall-eval/eval.mjs'),
        ...['--data', join(dir, 'invented.json'), '--mode', 'turns', '--json', '--no-write'],
        ...['--embedding-url', embeddings.url, '--embedding-model', embeddings.model],
        ...extra,
      ],
      // The embedding cache lives under the temporary folder: this test's own.
      { env: { ...process.env, TMPDIR: dir }, cwd: ROOT },
    );

  it('embeds through the endpoint, reranks through the reranker and reports the settings used', async () => {
    const { stdout } = await evaluate(['--rerank-url', reranker.url, '--rerank-model', reranker.model]);
    const report = JSON.parse(stdout.trim().split('\n').at(-1));
    assert.equal(report.mode, 'turns');
    assert.equal(report.questions, 4);
    // The question without evidence cannot be scored and is left out.
    assert.equal(report.category_5, undefined);
    for (const figure of ['r_at_5', 'r_at_10', 'mrr']) assert.ok(report[figure] >= 0 && report[figure] <= 1);
    assert.deepEqual(report.settings.embedding, {
      provider: 'openai',
      url: new URL(embeddings.url).origin,
      model: embeddings.model,
    });
    assert.deepEqual(report.settings.rerank, { url: new URL(reranker.url).origin, model: reranker.model });
    assert.deepEqual(report.settings.conversations, ['conv-a', 'conv-b']);
    // Every turn of both conversations and every question reached the embedding endpoint (through the cache).
    assert.ok(embeddings.inputs.includes('Ana: I adopted a grey kitten called Pixel yesterday.'));
    assert.ok(embeddings.inputs.includes('Which instrument is Ben learning?'));
    // Each answerable question was reranked, with the first stage's candidates.
    const queries = reranker.requests.map((request) => request.query);
    assert.equal(queries.filter((query) => query === 'Which instrument is Ben learning?').length, 2);
    assert.ok(reranker.requests.every((request) => request.documents.length === 4));
  });

  it('runs one conversation with --conversations, and refuses an unknown one', async () => {
    const { stdout } = await evaluate(['--conversations', 'conv-b']);
    const report = JSON.parse(stdout.trim().split('\n').at(-1));
    assert.deepEqual(report.settings.conversations, ['conv-b']);
    assert.equal(report.settings.rerank, null);
    assert.equal(report.questions, 2);
    await assert.rejects(evaluate(['--conversations', 'conv-z']), /conv-z not in invented.json/);
  });

  it('runs on PostgreSQL (the PGlite test server) with --storage postgres, and refuses an unknown backend', async () => {
    const { stdout } = await evaluate(['--storage', 'postgres']);
    const report = JSON.parse(stdout.trim().split('\n').at(-1));
    // eval.mjs checked each app's status report: it served from PostgreSQL.
    assert.equal(report.storage, 'postgres: PGlite (single-threaded WebAssembly): a floor, not native PostgreSQL');
    assert.equal(report.questions, 4);
    assert.deepEqual(report.settings.conversations, ['conv-a', 'conv-b']);
    for (const figure of ['r_at_5', 'r_at_10', 'mrr']) assert.ok(report[figure] >= 0 && report[figure] <= 1);
    const sqlite = JSON.parse((await evaluate([])).stdout.trim().split('\n').at(-1));
    assert.equal(sqlite.storage, 'sqlite');
    await assert.rejects(evaluate(['--storage', 'mysql']), /--storage must be one of sqlite, postgres \(got "mysql"\)/);
  });
});
