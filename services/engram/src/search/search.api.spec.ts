import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startOpenAiEmbeddingsTestDouble } from '../testing/openai-embeddings.test-double';
import { startTestApp, TestApp } from '../testing/test-app';

const CORPUS = [
  { content: 'My cat sleeps on the sofa every afternoon', tags: ['pets'] },
  { content: 'The replacement part number for the dishwasher pump is XJ-4471', tags: ['home'] },
  {
    content: 'We decided to use PostgreSQL for the billing service',
    tags: ['work', 'decision'],
    memory_type: 'decision',
  },
  { content: 'Quarterly planning meeting moved to Thursday at 10am', tags: ['work'] },
  { content: 'Grandma’s lasagna recipe needs ricotta and fresh basil', tags: ['food'] },
  { content: 'The staging server certificate expires in March', tags: ['work', 'ops'] },
  { content: 'Running 5k three times a week improved my sleep', tags: ['health'] },
  { content: 'Paris trip: the hotel is near the Louvre', tags: ['travel'] },
  { content: 'The team prefers squash merges on the main branch', tags: ['work', 'git'] },
  { content: 'Allergic to penicillin, noted by the doctor in 2019', tags: ['health'] },
  {
    content: 'Learned that SQLite WAL mode allows readers during writes',
    tags: ['learning', 'databases'],
    memory_type: 'learning',
  },
  { content: 'The wifi password at the cabin is written on the fridge', tags: ['home'] },
];

describe('search (real embeddings, real SQLite FTS5 and sqlite-vec)', () => {
  let api: TestApp;
  const hashes = new Map<string, string>();
  before(async () => {
    api = await startTestApp({ ENGRAM_TIMEZONE: 'UTC' });
    const response = await api.request('POST', '/api/memories/batch', { body: { memories: CORPUS } });
    assert.equal(response.body.stored, CORPUS.length);
    CORPUS.forEach((memory, i) => hashes.set(memory.content, response.body.results[i].content_hash));
  });
  after(async () => {
    await api.close();
  });

  const search = (body: Record<string, unknown>) => api.request('POST', '/api/search', { body });
  const top = (response: { body: { results: { memory: { content: string } }[] } }) =>
    response.body.results[0]?.memory.content;

  it('hybrid finds a memory by a rare keyword the embedding model cannot place', async () => {
    const response = await search({ query: 'XJ-4471', limit: 3 });
    assert.equal(response.status, 200);
    assert.equal(top(response), CORPUS[1].content);
    assert.equal(response.body.search_type, 'hybrid');
  });

  it('hybrid finds a memory by a paraphrase sharing no words with it', async () => {
    const response = await search({ query: 'feline companion napping on the couch', limit: 3 });
    assert.equal(top(response), CORPUS[0].content);
  });

  it('semantic mode ranks by meaning and reports cosine similarity scores', async () => {
    const response = await search({ query: 'which database did we choose for payments', mode: 'semantic', limit: 5 });
    assert.equal(top(response), CORPUS[2].content);
    const scores = response.body.results.map((r: { similarity_score: number }) => r.similarity_score);
    assert.deepEqual(
      [...scores].sort((a, b) => b - a),
      scores,
    );
    assert.ok(scores[0] > 0 && scores[0] <= 1);
  });

  it('keyword mode matches words (stemmed) and reports BM25 scores', async () => {
    const response = await search({ query: 'certificates expiring', mode: 'keyword' });
    assert.equal(top(response), CORPUS[5].content);
    assert.ok(response.body.results[0].keyword_score > 0);
    assert.equal(response.body.results[0].similarity_score, null);
  });

  it('keyword mode finds nothing for words no memory has', async () => {
    const response = await search({ query: 'xylophone quantum', mode: 'keyword' });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.results, []);
  });

  it('filters by tags (any/all) and type inside the candidate query, still filling the limit', async () => {
    const work = await search({ query: 'database', tags: ['work'], limit: 10 });
    const contents = work.body.results.map((r: { memory: { tags: string[] } }) => r.memory.tags);
    assert.equal(contents.length, 4);
    assert.ok(contents.every((tags: string[]) => tags.includes('work')));
    const both = await search({ query: 'database', tags: ['work', 'ops'], tag_match: 'all' });
    assert.equal(both.body.results.length, 1);
    assert.equal(top(both), CORPUS[5].content);
    const learning = await search({ query: 'database', memory_type: 'learning' });
    assert.deepEqual(
      learning.body.results.map((r: { memory: { content: string } }) => r.memory.content),
      [CORPUS[10].content],
    );
  });

  it('honours limit (and its alias n_results) and similarity_threshold', async () => {
    assert.equal((await search({ query: 'anything at all', limit: 2 })).body.results.length, 2);
    assert.equal((await search({ query: 'anything at all', n_results: 3 })).body.results.length, 3);
    const strict = await search({ query: 'cat on sofa', mode: 'semantic', similarity_threshold: 0.99 });
    assert.equal(strict.body.results.length, 0);
  });

  it('scores a probability of relevance that means the same for every query: an unrelated best match scores low', async () => {
    const unrelated = await search({ query: 'tuning violin strings with rosin on the bow', limit: 3 });
    const related = await search({ query: 'which database did we choose for billing', limit: 3 });
    assert.equal(top(related), CORPUS[2].content);
    for (const hit of [...unrelated.body.results, ...related.body.results]) assert.ok(hit.score > 0 && hit.score < 1);
    // Min-max fusion gave the best hit of any query 0.6 or 1.0; a calibrated score does not.
    assert.ok(unrelated.body.results[0].score < 0.01, `unrelated best ${unrelated.body.results[0].score}`);
    assert.ok(related.body.results[0].score > 0.05, `related best ${related.body.results[0].score}`);
    assert.ok(related.body.results[0].score > 10 * unrelated.body.results[0].score);
  });

  it('keeps the per-leg figures and the signals the score was made of', async () => {
    const [hit] = (await search({ query: 'dishwasher pump part number', limit: 1 })).body.results;
    assert.equal(hit.memory.content, CORPUS[1].content);
    assert.ok(hit.similarity_score > 0);
    assert.ok(hit.keyword_score > 0);
    assert.equal(hit.signals.semantic, hit.similarity_score);
    assert.equal(hit.signals.keyword_relative, 1);
    assert.ok(hit.signals.term_coverage > 0.5);
    assert.equal(hit.rerank_score, null);
  });

  it('applies min_score only when asked (REST keeps every result by default)', async () => {
    const all = await search({ query: 'tuning violin strings with rosin on the bow', limit: 5 });
    assert.equal(all.body.results.length, 5);
    assert.equal(all.body.below_floor, 0);
    const floored = await search({ query: 'tuning violin strings with rosin on the bow', limit: 5, min_score: 0.01 });
    assert.deepEqual(floored.body.results, []);
    assert.equal(floored.body.below_floor, 5, 'the results the floor left out are counted');
    const kept = await search({ query: 'lasagna recipe with ricotta', limit: 5, min_score: 0.01 });
    assert.equal(top(kept), CORPUS[4].content);
    assert.ok(kept.body.results.every((hit: { score: number }) => hit.score >= 0.01));
    assert.equal(kept.body.below_floor, 5 - kept.body.results.length);
    assert.ok(kept.body.below_floor > 0);
    const bad = await search({ query: 'lasagna', min_score: 2 });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /min_score/);
  });

  it('says no reranker ordered the results when none is configured', async () => {
    const response = await search({ query: 'lasagna' });
    assert.deepEqual(response.body.rerank, { applied: false, reason: 'not_configured' });
  });

  it('serves the alias path /api/memories/search', async () => {
    const response = await api.request('POST', '/api/memories/search', { body: { query: 'lasagna' } });
    assert.equal(response.status, 200);
    assert.equal(top(response), CORPUS[4].content);
  });

  it('treats FTS5 syntax characters in queries as plain text in every mode', async () => {
    const nasty = [
      '"',
      '*',
      'NEAR(',
      '-',
      'cat*',
      '"unbalanced',
      'AND OR NOT',
      'content:cat',
      '^sofa',
      '((',
      '✓ 猫',
      "'; DROP TABLE memories; --",
    ];
    for (const query of nasty) {
      for (const mode of ['hybrid', 'keyword', 'semantic']) {
        const response = await search({ query, mode });
        assert.equal(response.status, 200, `${mode} ${query}: ${response.text}`);
      }
    }
    assert.equal((await api.request('GET', '/api/memories')).body.total, CORPUS.length);
  });

  it('searches by tag: any by default, all with match_all', async () => {
    const any = await api.request('POST', '/api/search/by-tag', { body: { tags: ['health', 'travel'] } });
    assert.equal(any.status, 200);
    assert.equal(any.body.total_found, 3);
    const all = await api.request('POST', '/api/search/by-tag', { body: { tags: 'work,git', match_all: true } });
    assert.deepEqual(
      all.body.results.map((r: { memory: { content: string } }) => r.memory.content),
      [CORPUS[8].content],
    );
    const none = await api.request('POST', '/api/search/by-tag', { body: { tags: [] } });
    assert.equal(none.status, 400);
  });
});

describe('search with natural-language time expressions', () => {
  let api: TestApp;
  const now = Date.now() / 1000;
  const day = 86400;
  before(async () => {
    api = await startTestApp({ ENGRAM_TIMEZONE: 'UTC' });
    const startOfToday = Math.floor(now / day) * day;
    const memories = [
      { content: 'Note from yesterday about the garden', created_at: startOfToday - day + 3600 },
      { content: 'Note from ten days ago about the garden', created_at: startOfToday - 10 * day + 3600 },
      { content: 'Note from a hundred days ago about the garden', created_at: startOfToday - 100 * day + 3600 },
    ];
    assert.equal((await api.request('POST', '/api/memories/batch', { body: { memories } })).body.stored, 3);
  });
  after(async () => {
    await api.close();
  });

  const contents = (response: { body: { results: { memory: { content: string } }[] } }) =>
    response.body.results.map((r) => r.memory.content);

  it('narrows search to "yesterday" and "last 30 days"', async () => {
    const yesterday = await api.request('POST', '/api/search', { body: { query: 'garden', time_expr: 'yesterday' } });
    assert.equal(yesterday.status, 200);
    assert.deepEqual(contents(yesterday), ['Note from yesterday about the garden']);
    assert.ok(yesterday.body.time_range.start);
    const month = await api.request('POST', '/api/search', { body: { query: 'garden', time_expr: 'last 30 days' } });
    assert.deepEqual(contents(month).sort(), [
      'Note from ten days ago about the garden',
      'Note from yesterday about the garden',
    ]);
  });

  it('lists a time range with /api/search/by-time, optionally ranked by a semantic query', async () => {
    const byTime = await api.request('POST', '/api/search/by-time', { body: { query: 'last 30 days' } });
    assert.equal(byTime.status, 200);
    assert.equal(byTime.body.total_found, 2);
    const ranked = await api.request('POST', '/api/search/by-time', {
      body: { query: 'last 30 days', semantic_query: 'garden' },
    });
    assert.equal(ranked.body.total_found, 2);
  });

  it('answers 400 naming the phrase when a time expression does not parse, or is too long, with examples that do', async () => {
    const response = await api.request('POST', '/api/search', {
      body: { query: 'garden', time_expr: 'the day the music died' },
    });
    assert.equal(response.status, 400);
    assert.equal(response.body.error, 'invalid_time_expression');
    assert.match(response.body.message, /the day the music died/);
    const [, offered] = /: try one like (.*)$/.exec(response.body.message) ?? [];
    const examples = [...(offered ?? '').matchAll(/"([^"]+)"/g)].map(([, example]) => example);
    assert.ok(examples.length >= 3, response.body.message);
    for (const example of examples) {
      const tried = await api.request('POST', '/api/search', { body: { query: 'garden', time_expr: example } });
      assert.equal(tried.status, 200, `${example}: ${tried.body.message}`);
    }
    const byTime = await api.request('POST', '/api/search/by-time', { body: { query: 'whenever' } });
    assert.equal(byTime.status, 400);
    const long = await api.request('POST', '/api/search', { body: { query: 'garden', time_expr: 'x'.repeat(501) } });
    assert.equal(long.status, 400);
  });
});

describe('search over a conversation stored turn by turn', () => {
  const TURNS = [
    'Ana: Good morning! How was the weekend?',
    'Ben: Quiet, I mostly read and cooked.',
    'Ana: Which city did you move to for your new job?',
    'Ben: Lisbon, last spring. The light there is wonderful.',
    'Ana: I have been learning to play the cello.',
    'Ben: That sounds hard, how long do you practise?',
    'Ana: About an hour every evening after dinner.',
    'Ben: My sister plays the violin in an orchestra.',
    'Ana: We should all go to a concert some time.',
    'Ben: Agreed, I will look for tickets this week.',
  ];

  it('brings up the reply stored beside the question it answers (neighbour context)', async () => {
    for (const [method, expectReply] of [
      ['calibrated', true],
      ['weighted_average', false],
    ] as const) {
      const api = await startTestApp({ MCP_HYBRID_FUSION_METHOD: method });
      try {
        await api.request('POST', '/api/memories/batch', { body: { memories: TURNS.map((content) => ({ content })) } });
        const response = await api.request('POST', '/api/search', {
          body: { query: 'Which city did Ben move to for his new job?', limit: 2 },
        });
        const contents = response.body.results.map((hit: { memory: { content: string } }) => hit.memory.content);
        assert.equal(contents.includes(TURNS[3]), expectReply, `${method}: ${contents.join(' | ')}`);
      } finally {
        await api.close();
      }
    }
  });
});

describe('search with an instruction-tuned embedding endpoint', () => {
  it('puts ENGRAM_EMBEDDING_QUERY_PREFIX before queries only, keeping its whitespace', async () => {
    const model = await startOpenAiEmbeddingsTestDouble({ dimension: 16 });
    const api = await startTestApp({
      ENGRAM_EMBEDDING_PROVIDER: 'openai',
      MCP_EXTERNAL_EMBEDDING_URL: model.url,
      MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
      ENGRAM_EMBEDDING_QUERY_PREFIX: 'Instruct: find the memory\nQuery: ',
    });
    try {
      await api.request('POST', '/api/memories', { body: { content: 'The boiler is serviced in October' } });
      const response = await api.request('POST', '/api/search', { body: { query: 'boiler service' } });
      assert.equal(response.body.results[0].memory.content, 'The boiler is serviced in October');
      assert.ok(model.inputs.includes('The boiler is serviced in October'));
      assert.ok(model.inputs.includes('Instruct: find the memory\nQuery: boiler service'));
    } finally {
      await api.close();
      await model.close();
    }
  });
});
