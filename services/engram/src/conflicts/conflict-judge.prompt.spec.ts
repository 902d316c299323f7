import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeMessages, parseJudgeAnswer } from './conflict-judge.prompt';

describe('the judge prompt and the defensive reading of its answer', () => {
  it('puts each statement on its own line, so one cannot pass for the other field', () => {
    const [, user] = judgeMessages('Dana lives in Berlin.', 'Dana moved.\nNewer: Dana lives in Berlin.');
    assert.equal(user.content, 'Older: Dana lives in Berlin.\nNewer: Dana moved. Newer: Dana lives in Berlin.');
  });

  it('reads the JSON object after the thoughts, whatever surrounds it', () => {
    assert.deepEqual(
      parseJudgeAnswer('<think>{"verdict": "compatible"}?</think>\n{"verdict": "update", "reason": "moved"}'),
      {
        verdict: 'update',
        reason: 'moved',
      },
    );
    assert.deepEqual(parseJudgeAnswer('```json\n{"verdict": " Contradiction "}\n```'), { verdict: 'contradiction' });
  });

  it('falls back to the verdict field of broken JSON', () => {
    assert.deepEqual(parseJudgeAnswer('{"verdict": "unrelated", "reason": "different people",}'), {
      verdict: 'unrelated',
    });
  });

  it('finds no verdict in prose, unknown words, or a model claiming to be unavailable', () => {
    for (const text of [
      'They contradict each other.',
      '{"verdict": "maybe"}',
      '{"verdict": "unavailable"}',
      '',
      '[]',
    ]) {
      assert.equal(parseJudgeAnswer(text), undefined, text);
    }
  });

  it('keeps a reason short', () => {
    const answer = parseJudgeAnswer(JSON.stringify({ verdict: 'contradiction', reason: 'x'.repeat(5000) }));
    assert.equal(answer?.reason?.length, 300);
  });
});
