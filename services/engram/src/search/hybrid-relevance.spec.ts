import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contextOf, CONTEXT_WINDOW_MS } from './candidate-ranker';
import { Candidate, HybridRelevance } from './hybrid-relevance';
import { DEFAULT_RELEVANCE_WEIGHTS } from '../config/relevance-model';
import { queryFacts } from './relevance-signals';
import { seededRandom } from '../testing/seeded-random';

const WRITTEN = Date.UTC(2024, 2, 10, 12);

function candidate(id: number, content: string, similarity: number, bm25: number | null = null): Candidate {
  return { id, content, similarity, bm25, createdAtMs: WRITTEN };
}

function relevanceFor(query: string, pool: Candidate[]): HybridRelevance {
  return new HybridRelevance(pool, queryFacts(query), DEFAULT_RELEVANCE_WEIGHTS, 'UTC');
}

describe('hybrid relevance', () => {
  it('measures relative signals over the candidate pool and keeps probabilities between 0 and 1', () => {
    const relevance = relevanceFor('garden tomatoes', [
      candidate(1, 'The garden tomatoes ripened early this year', 0.8, 6),
      candidate(2, 'We planted basil next to the roses', 0.5, 3),
      candidate(3, 'The car needs new tyres', 0.2),
    ]);
    const [best, middle, worst] = relevance.score([1, 2, 3], new Map());
    assert.equal(best.signals.semantic_relative, 1);
    assert.ok(Math.abs(middle.signals.semantic_relative! - 0.5) < 1e-9);
    assert.equal(worst.signals.semantic_relative, 0);
    assert.equal(best.signals.keyword_relative, 1);
    assert.equal(middle.signals.keyword_relative, 0.5);
    assert.equal(worst.signals.keyword_relative, 0);
    assert.ok(best.relevance > middle.relevance && middle.relevance > worst.relevance);
    for (const { relevance: p } of [best, middle, worst]) assert.ok(p > 0 && p < 1);
  });

  it('prefers the memory about the person the question names (entity matching)', () => {
    const relevance = relevanceFor('What does Maria cook on Sundays?', [
      candidate(1, 'Tomas cooks paella on Sundays', 0.6, 4),
      candidate(2, 'Maria cooks paella on Sundays', 0.6, 4),
    ]);
    const [tomas, maria] = relevance.score([1, 2], new Map());
    // "Sundays" counts as a name too: Tomas's memory covers one of the two.
    assert.equal(maria.signals.name_coverage, 1);
    assert.equal(tomas.signals.name_coverage, 0.5);
    assert.ok(maria.relevance > tomas.relevance);
    assert.deepEqual(relevance.rankedByFirstPass(), [2, 1]);
  });

  it('ranks what the person asked about said above what someone else said about them', () => {
    const relevance = relevanceFor('What did Maria say about the new job?', [
      candidate(1, 'Tomas: Maria says the new job is exciting', 0.6, 4),
      candidate(2, 'Maria: the new job is exciting, says Tomas', 0.6, 4),
      candidate(3, 'Ana: Congratulations!', 0.2),
      candidate(4, 'Ana: Congratulations!!', 0.2),
    ]);
    const [tomas, maria, besideTomas, besideMaria] = relevance.score(
      [1, 2, 3, 4],
      new Map([
        [3, [1]],
        [4, [2]],
      ]),
    );
    for (const signal of ['name_coverage', 'term_coverage', 'brevity'] as const) {
      assert.equal(maria.signals[signal], tomas.signals[signal], `the same words: same ${signal}`);
    }
    assert.equal(maria.signals.off_subject, 0);
    assert.equal(tomas.signals.off_subject, 1);
    assert.ok(maria.relevance > tomas.relevance);
    // The first pass leaves it out, so a memory lends its neighbour the same whoever spoke it.
    assert.ok(besideMaria.signals.neighbour! > 0);
    assert.equal(besideTomas.signals.neighbour, besideMaria.signals.neighbour);
    const unnamed = relevanceFor('what was said about the new job', [candidate(1, 'Tomas: the new job', 0.6, 4)]);
    assert.equal(unnamed.score([1], new Map())[0].signals.off_subject, 0);
  });

  it('says nothing of a name no candidate opens with (a place, a product)', () => {
    const pool = [
      candidate(1, 'We moved the billing service to Postgres last week', 0.6, 4),
      candidate(2, 'Tomas: the Postgres upgrade went fine', 0.5, 3),
    ];
    const scored = relevanceFor('What did we move to Postgres?', pool).score([1, 2], new Map());
    assert.deepEqual(
      scored.map((hit) => hit.signals.off_subject),
      [0, 0],
    );
    const withSubject = relevanceFor('What did we move to Postgres?', [
      ...pool,
      candidate(3, 'Postgres 16 is what we run', 0.4, 2),
    ]).score([1, 2, 3], new Map());
    assert.deepEqual(
      withSubject.map((hit) => hit.signals.off_subject),
      [1, 1, 0],
    );
  });

  it('prefers a memory that says when, for a question asking when (time grounding)', () => {
    const pool = [
      candidate(1, 'I went to the pottery workshop and loved it', 0.6, 4),
      candidate(2, 'Yesterday I went to the pottery workshop', 0.6, 4),
    ];
    const when = relevanceFor('When did she go to the pottery workshop?', pool).score([1, 2], new Map());
    assert.equal(when[1].signals.states_time, 1);
    assert.equal(when[0].signals.states_time, 0);
    assert.ok(when[1].relevance > when[0].relevance);
    const what = relevanceFor('What did she do at the pottery workshop?', pool).score([1, 2], new Map());
    assert.equal(what[1].signals.states_time, 0);
  });

  it('counts a time the grammar cannot resolve ("two weekends ago") as stating when', () => {
    const pool = [
      candidate(1, 'We went camping with the kids and loved it', 0.6, 4),
      candidate(2, 'We went camping with the kids two weekends ago', 0.6, 4),
    ];
    const [undated, dated] = relevanceFor('When did they go camping?', pool).score([1, 2], new Map());
    assert.equal(dated.signals.states_time, 1);
    assert.equal(undated.signals.states_time, 0);
    assert.ok(dated.relevance > undated.relevance);
  });

  it('prefers the memory whose event falls in the period the query names (event-time grounding)', () => {
    const clock = { now: new Date(Date.UTC(2024, 5, 1)), timeZone: 'UTC' };
    const pool: Candidate[] = [
      { ...candidate(1, 'Maria ran a half marathon last weekend', 0.6, 4), createdAtMs: Date.UTC(2024, 2, 4) },
      { ...candidate(2, 'Maria ran a half marathon', 0.6, 4), createdAtMs: Date.UTC(2024, 3, 20) },
      { ...candidate(3, 'Maria ran a half marathon', 0.6, 4), createdAtMs: Date.UTC(2024, 1, 27) },
    ];
    const facts = queryFacts('What race did Maria run in March 2024?', clock);
    const relevance = new HybridRelevance(pool, facts, DEFAULT_RELEVANCE_WEIGHTS, 'UTC');
    const [lastWeekend, april, february] = relevance.score([1, 2, 3], new Map());
    // Written on 4 March about the weekend before: 2–3 March is in March, though the memory is not "about" March.
    assert.equal(lastWeekend.signals.in_period, 1);
    assert.equal(april.signals.in_period, 0);
    assert.equal(february.signals.in_period, 0);
    assert.ok(lastWeekend.relevance > april.relevance);
    const undated = new HybridRelevance(
      pool,
      queryFacts('What race did Maria run?', clock),
      DEFAULT_RELEVANCE_WEIGHTS,
      'UTC',
    );
    assert.deepEqual(
      undated.score([1, 2, 3], new Map()).map((scored) => scored.signals.in_period),
      [0, 0, 0],
    );
  });

  it('ranks and scores the same when only the leaders have their time phrases resolved', () => {
    const next = seededRandom(7);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
    const clock = { now: new Date(Date.UTC(2024, 11, 1)), timeZone: 'Europe/Berlin' };
    const queries = [
      'When did Maria go hiking?',
      'What did Maria cook in March 2024?',
      'When did Tomas fix the bike last week?',
      'What happened between 1 May 2024 and 20 June 2024?',
      'Where did Ana travel?',
    ];
    const times = [
      'yesterday',
      'last week',
      'on 3 May',
      'two weekends ago',
      'in March 2024',
      'this morning',
      '',
      '',
      '',
    ];
    const subjects = ['Maria went hiking', 'Tomas fixed the bike', 'Ana cooked paella', 'We talked about work'];
    for (let round = 0; round < 60; round++) {
      const pool: Candidate[] = Array.from({ length: 10 + Math.floor(next() * 60) }, (_, i) => ({
        id: i + 1,
        content: `${pick(subjects)} ${pick(times)} ${pick(['with friends', 'alone', ''])}`.trim(),
        similarity: Math.round(next() * 20) / 20, // coarse, so that ties occur
        bm25: next() < 0.5 ? Math.round(next() * 8) : null,
        createdAtMs: Date.UTC(2024, 0, 1) + Math.floor(next() * 330) * 86_400_000,
      }));
      const facts = queryFacts(pick(queries), clock);
      const lazy = new HybridRelevance(pool, facts, DEFAULT_RELEVANCE_WEIGHTS, clock.timeZone);
      const eager = new HybridRelevance(pool, facts, DEFAULT_RELEVANCE_WEIGHTS, clock.timeZone);
      const everyone = eager.rankedByFirstPass(); // settles every candidate
      const count = 1 + Math.floor(next() * 30);
      const leaders = lazy.rankedByFirstPass(count);
      assert.deepEqual(leaders, everyone.slice(0, count), `round ${round}`);
      const neighbours = new Map(leaders.map((id) => [id, [((id * 7) % pool.length) + 1]]));
      assert.deepEqual(lazy.score(leaders, neighbours), eager.score(leaders, neighbours), `round ${round}`);
    }
  });

  it('lifts a memory stored beside a strong match (neighbour context) above an equal one without', () => {
    const relevance = relevanceFor('Which city did Ana move to for work?', [
      candidate(1, 'Ana: I moved to Lisbon for work last spring, which city did you move to?', 0.75, 9),
      candidate(2, 'Ben: That sounds wonderful, I stayed where I was.', 0.3),
      candidate(3, 'Ben: That sounds lovely, I stayed where I was.', 0.3),
    ]);
    const [alone, beside] = relevance.score([3, 2], new Map([[2, [1]]]));
    assert.equal(alone.signals.neighbour, 0);
    assert.ok(beside.signals.neighbour! > 0.1);
    assert.ok(beside.relevance > alone.relevance);
  });

  it('treats as context only memories stored beside each other and close in time, both ways', () => {
    const records = new Map([
      [1, { createdAt: WRITTEN }],
      [2, { createdAt: WRITTEN + 60_000 }],
      [3, { createdAt: WRITTEN + 60_000 + CONTEXT_WINDOW_MS + 1 }],
    ]);
    const context = contextOf(
      new Map([
        [1, [2]],
        [2, [1, 3]],
      ]),
      records,
    );
    assert.deepEqual(context.get(1), [2]);
    assert.deepEqual(context.get(2), [1]);
    assert.equal(context.get(3), undefined);
  });
});
