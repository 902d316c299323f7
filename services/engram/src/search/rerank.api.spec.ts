import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { overlap, RerankTestDouble, startRerankTestDouble } from '../testing/rerank.test-double';
import { startTestApp, TestApp } from '../testing/test-app';

const MEMORIES = [
  'My cat sleeps on the sofa every afternoon',
  'The replacement part number for the dishwasher pump is XJ-4471',
  'We decided to use PostgreSQL for the billing service',
  'Quarterly planning meeting moved to Thursday at 10am',
  'Grandma’s lasagna recipe needs ricotta and fresh basil',
  'The staging server certificate expires in March',
  'Running 5k three times a week improved my sleep',
  'Paris trip: the hotel is near the Louvre',
  'The team prefers squash merges on the main branch',
  'Learned that SQLite WAL mode allows readers during writes',
];
const QUERY = 'how did my sleep improve in the afternoon runs each week';
const API_KEY = 'reranker-secret-key';

interface Hit {
  memory: { content: string };
  score: number;
  rerank_score: number | null;
}

describe('search with a rerank stage (a reranker test double on loopback)', () => {
  let reranker: RerankTestDouble;
  let api: TestApp;
  const search = (body: Record<string, unknown>) => api.request('POST', '/api/search', { body });

  before(async () => {
    reranker = await startRerankTestDouble({ apiKey: API_KEY });
    api = await startTestApp({
      ENGRAM_RERANK_URL: reranker.url,
      ENGRAM_RERANK_MODEL: reranker.model,
      ENGRAM_RERANK_API_KEY: API_KEY,
      ENGRAM_RERANK_CANDIDATES: '6',
      ENGRAM_RERANK_TIMEOUT_MS: '300',
    });
    const stored = await api.request('POST', '/api/memories/batch', {
      body: { memories: MEMORIES.map((content) => ({ content })) },
    });
    assert.equal(stored.body.stored, MEMORIES.length);
  });
  beforeEach(() => {
    (reranker.requests as unknown[]).splice(0);
    reranker.scoreWith(overlap);
  });
  after(async () => {
    await api.close();
    await reranker.close();
  });

  it('orders results by the reranker, which reads the configured number of candidates with the key', async () => {
    const firstStage = (await search({ query: QUERY, limit: 6, rerank: false })).body.results as Hit[];
    // The reranker prefers the candidate the first stage put last: only its order can bring it to the top.
    const favourite = firstStage[5].memory.content;
    reranker.scoreWith((_query, document) => (document === favourite ? 0.9 : overlap(QUERY, document) / 2));
    const response = await search({ query: QUERY, limit: 3 });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.rerank, { applied: true, model: reranker.model });
    assert.equal(reranker.requests.length, 1);
    const [request] = reranker.requests;
    assert.equal(request.route, '/v1/rerank');
    assert.equal(request.query, QUERY);
    assert.deepEqual(
      request.documents,
      firstStage.map((hit) => hit.memory.content),
    );
    assert.equal(request.authorization, `Bearer ${API_KEY}`);
    const hits = response.body.results as Hit[];
    assert.equal(hits.length, 3);
    assert.equal(hits[0].memory.content, favourite);
    assert.equal(hits[0].score, 0.9);
    const rest = firstStage.map((hit) => hit.memory.content).filter((content) => content !== favourite);
    const expected = rest.sort((a, b) => overlap(QUERY, b) - overlap(QUERY, a)).slice(0, 2);
    assert.deepEqual(
      hits.slice(1).map((hit) => hit.memory.content),
      expected,
    );
    for (const hit of hits) assert.equal(hit.score, hit.rerank_score);
  });

  it('skips the reranker for rerank: false and says so', async () => {
    const response = await search({ query: QUERY, limit: 3, rerank: false });
    assert.deepEqual(response.body.rerank, { applied: false, reason: 'not_requested' });
    assert.equal(reranker.requests.length, 0);
    assert.ok((response.body.results as Hit[]).every((hit) => hit.rerank_score === null));
  });

  for (const [failure, reason] of [
    [{ kind: 'hang' }, 'timeout'],
    [{ kind: 'status', status: 503 }, 'error'],
    [{ kind: 'bad-json' }, 'error'],
    [{ kind: 'bad-index' }, 'error'],
  ] as const) {
    it(`answers in first-stage order when the reranker fails (${failure.kind}), naming the reason`, async () => {
      const firstStage = await search({ query: QUERY, limit: 3, rerank: false });
      reranker.fail(failure);
      const response = await search({ query: QUERY, limit: 3 });
      assert.equal(response.status, 200);
      assert.deepEqual(response.body.rerank, { applied: false, reason });
      assert.deepEqual(
        (response.body.results as Hit[]).map((hit) => [hit.memory.content, hit.score]),
        (firstStage.body.results as Hit[]).map((hit) => [hit.memory.content, hit.score]),
      );
    });
  }

  it('counts rerank calls by outcome and fallbacks by reason in /metrics', async () => {
    const metrics = (await api.request('GET', '/metrics')).text;
    assert.match(metrics, /^engram_rerank_duration_seconds_count\{outcome="ok"\} [1-9]/m);
    assert.match(metrics, /^engram_rerank_duration_seconds_count\{outcome="timeout"\} 1$/m);
    assert.match(metrics, /^engram_rerank_fallbacks_total\{reason="timeout"\} 1$/m);
    assert.match(metrics, /^engram_rerank_fallbacks_total\{reason="error"\} 3$/m);
  });

  it('reports the reranker in the detailed health report', async () => {
    const report = await api.request('GET', '/api/health/detailed');
    assert.deepEqual(report.body.search.rerank, { model: reranker.model });
  });
});

describe('search with a text-embeddings-inference reranker', () => {
  it('speaks TEI’s /rerank format and orders by its scores', async () => {
    const reranker = await startRerankTestDouble();
    const api = await startTestApp({ ENGRAM_RERANK_URL: reranker.teiUrl, ENGRAM_RERANK_API: 'tei' });
    try {
      await api.request('POST', '/api/memories/batch', {
        body: { memories: MEMORIES.map((content) => ({ content })) },
      });
      const response = await api.request('POST', '/api/search', { body: { query: QUERY, limit: 2 } });
      assert.deepEqual(response.body.rerank, { applied: true, model: null });
      assert.equal(reranker.requests[0].route, '/rerank');
      assert.equal(reranker.requests[0].documents.length, MEMORIES.length);
      assert.equal((response.body.results as Hit[])[0].memory.content, MEMORIES[6]);
    } finally {
      await api.close();
      await reranker.close();
    }
  });
});
