import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { callTool, connectHttpClient, McpTestClient } from '../testing/mcp-client';
import { MemAgentTestDouble, startMemAgentTestDouble } from '../testing/mem-agent.test-double';
import { startTestApp, TestApp } from '../testing/test-app';

const BOOTSTRAP = 'bootstrap-key-0123456789abcdef';
const JUDGE_KEY = 'judge-key-0123456789';
const JUDGE_MODEL = 'judge-model';
/** Long enough for a loaded machine to answer a scripted verdict on loopback; the stalled request waits it out. */
const JUDGE_TIMEOUT_MS = 5000;

interface LabelledPair {
  id: number;
  kind: string;
  older: string;
  newer: string;
}
const { pairs } = JSON.parse(
  readFileSync(join(__dirname, '..', '..', '..', '..', 'bench', 'conflicts', 'pairs.json'), 'utf8'),
) as { pairs: LabelledPair[] };
const pair = (id: number) => pairs.find((candidate) => candidate.id === id)!;

/** Pairs the CPU detector proposes, each scripted with what the judge answers about it. */
const CONFIRMED = pair(13);
const REJECTED = pair(28);
const GARBLED = pair(38);
const FAILED_THEN_UPDATE = pair(47);
const STALLED_THEN_CONFIRMED = pair(35);
const verdict = (value: string, reason: string) =>
  `<think>The two statements are about the same thing.</think>\n{"verdict": "${value}", "reason": "${reason}"}`;

describe('the LLM judge of contradiction review (a scripted OpenAI-compatible chat server)', () => {
  let judge: MemAgentTestDouble;
  let api: TestApp;
  let mcp: McpTestClient;
  const auth = { authorization: `Bearer ${BOOTSTRAP}` };
  const request = (method: string, path: string, body?: unknown) => api.request(method, path, { headers: auth, body });
  const store = (content: string) => request('POST', '/api/memories', { content });
  /** Stores a pair, older first; answers the store answer of the newer one. */
  const storePair = async ({ older, newer }: LabelledPair) => {
    assert.equal((await store(older)).status, 201);
    const response = await store(newer);
    assert.equal(response.status, 201, response.text);
    return response.body;
  };
  const listed = async (status: string) =>
    (await request('GET', `/api/conflicts?status=${status}&page_size=100`)).body.conflicts as any[];
  const findIn = (conflicts: any[], { older }: LabelledPair) =>
    conflicts.find((conflict) => conflict.older.content === older);
  const scan = async () => {
    const queued = await request('POST', '/api/conflicts/scan');
    assert.equal(queued.status, 202, queued.text);
    for (;;) {
      const job = await request('GET', queued.body.status_url);
      if (job.body.state === 'completed') return job.body.result;
      assert.ok(!['failed', 'cancelled'].includes(job.body.state), job.text);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  before(async () => {
    judge = await startMemAgentTestDouble(
      [
        { question: CONFIRMED.older, turns: [verdict('contradiction', 'The contract ends on one date only.')] },
        { question: REJECTED.older, turns: [verdict('compatible', 'Both can hold.')] },
        { question: GARBLED.older, turns: ['Hmm, hard to say. Maybe both?'] },
        { question: FAILED_THEN_UPDATE.older, turns: [verdict('update', 'The office moved.')] },
        { question: STALLED_THEN_CONFIRMED.older, turns: [verdict('contradiction', 'Two places.')] },
      ],
      JUDGE_MODEL,
    );
    api = await startTestApp({
      MCP_API_KEY: BOOTSTRAP,
      ENGRAM_CONFLICTS_ON_WRITE: 'suggest',
      ENGRAM_CONFLICTS_JUDGE_URL: judge.url,
      ENGRAM_CONFLICTS_JUDGE_MODEL: JUDGE_MODEL,
      ENGRAM_CONFLICTS_JUDGE_API_KEY: JUDGE_KEY,
      ENGRAM_CONFLICTS_JUDGE_TIMEOUT_MS: String(JUDGE_TIMEOUT_MS),
    });
    ({ client: mcp } = await connectHttpClient(api.url, BOOTSTRAP));
  });
  after(async () => {
    await mcp?.close();
    await api?.close();
    await judge?.close();
  });

  it('keeps a proposal the judge confirms, with its verdict, asking with the key at temperature 0', async () => {
    const answer = await storePair(CONFIRMED);
    assert.deepEqual(
      answer.possible_conflicts.map((conflict: any) => [conflict.memory.content, conflict.judge]),
      [
        [
          CONFIRMED.older,
          { verdict: 'contradiction', model: JUDGE_MODEL, reason: 'The contract ends on one date only.' },
        ],
      ],
    );
    const [asked] = judge.requestsFor(CONFIRMED.older);
    assert.equal(asked.authorization, `Bearer ${JUDGE_KEY}`);
    assert.equal(asked.body.temperature, 0);
    assert.match(asked.body.messages[1].content, new RegExp(`Newer: ${CONFIRMED.newer.replace(/[.]/g, '\\.')}`));
    const open = findIn(await listed('open'), CONFIRMED);
    assert.equal(open.judge.verdict, 'contradiction');
    assert.ok(open.evidence.length > 0, 'the CPU evidence is kept beside the verdict');
  });

  it('does not propose a pair the judge rejects, and keeps it dismissed with the verdict so it is not asked again', async () => {
    const answer = await storePair(REJECTED);
    assert.deepEqual(answer.possible_conflicts, []);
    assert.equal(findIn(await listed('open'), REJECTED), undefined);
    const dismissed = findIn(await listed('dismissed'), REJECTED);
    assert.equal(dismissed.resolution, 'judge_dismissed');
    assert.deepEqual(dismissed.judge, { verdict: 'compatible', model: JUDGE_MODEL, reason: 'Both can hold.' });
    const memory = await request('GET', `/api/memories/${dismissed.older.content_hash}`);
    assert.equal(memory.body.superseded, undefined, 'nothing is applied');
  });

  it('lets the CPU proposal stand as unavailable when the answer holds no verdict', async () => {
    const [conflict] = (await storePair(GARBLED)).possible_conflicts;
    assert.equal(conflict.memory.content, GARBLED.older);
    assert.deepEqual(conflict.judge, {
      verdict: 'unavailable',
      model: JUDGE_MODEL,
      reason: 'the judge answered without a known verdict',
    });
  });

  it('lets the CPU proposal stand as unavailable when the judge answers 500', async () => {
    judge.failNext(500);
    const [conflict] = (await storePair(FAILED_THEN_UPDATE)).possible_conflicts;
    assert.equal(conflict.memory.content, FAILED_THEN_UPDATE.older);
    assert.equal(conflict.judge.verdict, 'unavailable');
    assert.match(conflict.judge.reason, /answered 500/);
  });

  it('answers the store without the verdict when the judge never answers (its timeout ends the wait)', async () => {
    judge.stallNext();
    const asked = judge.requests.length;
    const [conflict] = (await storePair(STALLED_THEN_CONFIRMED)).possible_conflicts;
    assert.equal(conflict.memory.content, STALLED_THEN_CONFIRMED.older);
    assert.equal(conflict.judge.verdict, 'unavailable');
    assert.match(conflict.judge.reason, /did not answer/);
    assert.equal(judge.requests.length, asked, 'the stalled request was never answered');
  });

  it('a scan judges again the proposals the judge could not judge, and only those', async () => {
    const before = judge.requests.length;
    const result = await scan();
    assert.deepEqual(result.judge_verdicts, { update: 1, contradiction: 1, unavailable: 1 });
    assert.equal(judge.requests.length - before, 3, 'confirmed and rejected pairs are not asked again');
    const open = await listed('open');
    assert.equal(findIn(open, FAILED_THEN_UPDATE).judge.verdict, 'update');
    assert.equal(findIn(open, STALLED_THEN_CONFIRMED).judge.verdict, 'contradiction');
    assert.equal(findIn(open, GARBLED).judge.verdict, 'unavailable');
  });

  it('shows the verdict over MCP and counts verdicts in /metrics', async () => {
    const result = await callTool(mcp, 'memory_conflicts', {});
    const conflicts = result.structured.conflicts as any[];
    assert.deepEqual(findIn(conflicts, CONFIRMED).judge, {
      verdict: 'contradiction',
      model: JUDGE_MODEL,
      reason: 'The contract ends on one date only.',
    });
    const metrics = (await api.request('GET', '/metrics', { headers: auth })).text;
    assert.match(metrics, /^engram_conflict_judge_verdicts_total\{verdict="compatible"\} 1$/m);
    assert.match(metrics, /^engram_conflict_judge_verdicts_total\{verdict="contradiction"\} 2$/m);
    assert.match(metrics, /^engram_conflict_judge_duration_seconds_count\{outcome="unavailable"\} [1-9]/m);
    assert.match(metrics, /^engram_conflict_judge_waiting 0$/m);
    assert.match(metrics, /^engram_conflict_judge_gave_way_total 0$/m);
    assert.ok(!metrics.includes(JUDGE_KEY), 'the key appears nowhere');
  });
});
