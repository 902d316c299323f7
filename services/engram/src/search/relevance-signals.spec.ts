import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  brevity,
  eventTime,
  inPeriod,
  mentionsTime,
  nameCoverage,
  opensWithName,
  queryFacts,
  stem,
  stemSet,
  termCoverage,
} from './relevance-signals';

describe('relevance signals', () => {
  it('stems plurals and verb forms to a shared base', () => {
    for (const [a, b] of [
      ['painted', 'paint'],
      ['painting', 'paints'],
      ['dancing', 'dance'],
      ['activities', 'activity'],
      ['studied', 'study'],
      ['running', 'run'],
      ['loved', 'love'],
    ]) {
      assert.equal(stem(a), stem(b), `${a} / ${b}`);
    }
    assert.equal(stem('class'), 'class');
    assert.equal(stem('bus'), 'bus');
    assert.equal(stem('was'), 'was');
  });

  it('finds the names a question mentions, not its question or function words', () => {
    const facts = queryFacts("When did Caroline go to Melanie's pottery class in Paris?");
    assert.deepEqual(facts.names, ['caroline', 'melanie', 'paris'].map(stem));
    assert.deepEqual(queryFacts('What Did I Say About It?').names, ['say']);
    assert.deepEqual(queryFacts('what did we decide about the database').names, []);
  });

  it('tells questions asking when or how long from the others', () => {
    assert.equal(queryFacts('When did Jon open his studio?').asksWhen, true);
    assert.equal(queryFacts('How long has she had her dog?').asksWhen, true);
    assert.equal(queryFacts('In what year did they marry?').asksWhen, true);
    assert.equal(queryFacts('Why did Jon open his studio?').asksWhen, false);
  });

  it('measures how many query words and names a memory holds', () => {
    const facts = queryFacts('What has Melanie painted recently?');
    assert.equal(termCoverage(facts, stemSet('Melanie paints landscapes and recently a sunrise')), 1);
    assert.equal(termCoverage(facts, stemSet('Melanie went camping')), 1 / 3);
    assert.equal(nameCoverage(facts, stemSet("Melanie's horse painting")), 1);
    assert.equal(nameCoverage(facts, stemSet('Caroline painted a mural')), 0);
    assert.equal(nameCoverage(queryFacts('what did we paint'), stemSet('we painted')), 0);
    assert.equal(termCoverage(queryFacts('?!'), stemSet('anything')), 0);
  });

  it('tells a memory by or about the person asked about from one that mentions them in passing', () => {
    const facts = queryFacts('What did Maria cook for the party?');
    assert.equal(opensWithName(facts, 'Maria: I made paella for everyone'), true, 'what Maria said');
    assert.equal(opensWithName(facts, "Maria's paella was the hit of the party"), true, 'about Maria');
    assert.equal(opensWithName(facts, '  "Maria cooked paella"'), true, 'leading quotes and spaces');
    assert.equal(opensWithName(facts, 'Tomas helped Maria cook paella'), false, 'about Tomas');
    assert.equal(opensWithName(facts, 'Tomas: Maria, that paella was great!'), false, 'said by Tomas');
    assert.equal(opensWithName(facts, 'Marianne cooked paella'), false, 'a longer name is another name');
    assert.equal(opensWithName(facts, ''), false);
    assert.equal(opensWithName(queryFacts('what did we cook for the party'), 'We cooked paella'), false, 'no name');
  });

  it('scores fragments as brief and sentences of ten words or more as not', () => {
    assert.equal(brevity(0), 1);
    assert.equal(brevity(4), 0.6);
    assert.equal(brevity(10), 0);
    assert.equal(brevity(40), 0);
  });

  it('grounds a relative time phrase at the time the memory was written, not today', () => {
    const writtenAt = Date.UTC(2023, 4, 8, 13, 56);
    const yesterday = eventTime('Yesterday I went to a fair to show off my studio', writtenAt, 'UTC');
    assert.deepEqual(yesterday, { startMs: Date.UTC(2023, 4, 7), endMs: Date.UTC(2023, 4, 8) });
    const lastWeek = eventTime('We adopted a puppy last week', writtenAt, 'UTC');
    assert.ok(
      lastWeek?.startMs !== undefined && lastWeek.startMs < writtenAt && lastWeek.startMs >= Date.UTC(2023, 3, 24),
    );
    assert.equal(eventTime('I love painting sunsets', writtenAt, 'UTC'), undefined);
  });

  it('reads the period a query names against the time of asking, and none without a clock', () => {
    const clock = { now: new Date(Date.UTC(2024, 0, 15)), timeZone: 'UTC' };
    assert.deepEqual(queryFacts('What did Jon bake in October 2023?', clock).period, {
      startMs: Date.UTC(2023, 9, 1),
      endMs: Date.UTC(2023, 10, 1),
    });
    assert.deepEqual(queryFacts('What did Jon bake last week?', clock).period, {
      startMs: Date.UTC(2024, 0, 8),
      endMs: Date.UTC(2024, 0, 15),
    });
    assert.equal(queryFacts('What did Jon bake?', clock).period, undefined);
    assert.equal(queryFacts('What did Jon bake in October 2023?').period, undefined);
  });

  it('places a memory in a period by its own time phrase, grounded at its writing, else by when it was written', () => {
    const october = { startMs: Date.UTC(2023, 9, 1), endMs: Date.UTC(2023, 10, 1) };
    const writtenEarlyNovember = Date.UTC(2023, 10, 3, 9);
    const lastWeek = eventTime('We baked bread last week', writtenEarlyNovember, 'UTC');
    assert.equal(
      inPeriod(october, lastWeek, writtenEarlyNovember),
      1,
      'last week, seen from 3 November, is in October',
    );
    assert.equal(inPeriod(october, undefined, writtenEarlyNovember), 0, 'written in November, no phrase: not October');
    assert.equal(inPeriod(october, undefined, Date.UTC(2023, 9, 20)), 1, 'written in October');
    const yesterday = eventTime('We baked bread yesterday', writtenEarlyNovember, 'UTC');
    assert.equal(inPeriod(october, yesterday, writtenEarlyNovember), 0, 'yesterday was 2 November');
    assert.equal(inPeriod(undefined, lastWeek, writtenEarlyNovember), 0, 'the query names no period');
    assert.equal(inPeriod({ endMs: Date.UTC(2023, 9, 1) }, undefined, Date.UTC(2023, 8, 1)), 1, 'open start');
  });

  it('notices time phrases the grammar cannot turn into days: weekends, vague counts, the future, durations', () => {
    for (const text of [
      'We went camping two weekends ago',
      'I joined a pride parade last weekend',
      'A few weeks ago I started running',
      'My art show opens next month',
      'The opening night is tomorrow',
      "I've known these friends for 4 years",
      'We have lived here since 2019',
    ]) {
      assert.equal(mentionsTime(text), true, text);
    }
    for (const text of ['I love painting sunsets', 'The weekend market sells bread', 'Lastly, thanks for the tea']) {
      assert.equal(mentionsTime(text), false, text);
    }
  });
});
