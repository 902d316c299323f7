import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { brevity, eventTime, nameCoverage, queryFacts, stem, stemSet, termCoverage } from './relevance-signals';

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
});
