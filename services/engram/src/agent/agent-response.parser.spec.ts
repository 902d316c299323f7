import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAgentTurn, trimAfterLastTag } from './agent-response.parser';
import { errorObservation, formatErrorObservation, successObservation } from './observation';
import { assertLinearCost } from '../testing/linear-cost';
import { parseRules, questionWithFilters, redactReply } from './privacy-filters';

describe('agent turn parsing (tags only after </think>)', () => {
  it('reads code after the closing </think> only, ignoring tags mentioned in the thought', () => {
    const text =
      'Maybe <python>bad()</python> or <reply>no</reply>?\n</think>\n<python>\nx = read_file("user.md")\n</python>';
    assert.deepEqual(parseAgentTurn(text), { kind: 'code', code: 'x = read_file("user.md")' });
  });

  it('accepts a leading <think>, and a whole text without thoughts from providers that strip them', () => {
    assert.deepEqual(parseAgentTurn('<think>ok</think><python></python><reply>Hi</reply>'), {
      kind: 'reply',
      reply: 'Hi',
    });
    assert.deepEqual(parseAgentTurn('<python>a = 1</python>'), { kind: 'code', code: 'a = 1' });
  });

  it('strips a Markdown fence with its language word and leaves the code as written', () => {
    const text = '</think><python>\n```python\nif x:\n    y = 1\n```\n</python>';
    assert.deepEqual(parseAgentTurn(text), { kind: 'code', code: 'if x:\n    y = 1' });
    assert.deepEqual(parseAgentTurn('</think><python>```\nz = 2\n```</python>'), { kind: 'code', code: 'z = 2' });
  });

  it('accepts a closing tag cut by a stop string only at the very end', () => {
    assert.deepEqual(parseAgentTurn('</think><python>\nq = 3\n'), { kind: 'code', code: 'q = 3' });
    assert.deepEqual(parseAgentTurn('</think><python></python><reply>Done'), { kind: 'reply', reply: 'Done' });
  });

  it('answers format errors for a cut thought, both code and reply, and neither', () => {
    assert.match(problem('<think>still thinking'), /ended inside <think>/);
    assert.match(problem('</think><python>x = 1</python><reply>hi</reply>'), /both code .* nothing was run/);
    assert.match(problem('</think>The answer is 4.'), /neither code/);
    assert.match(problem('</think><python></python>'), /neither code/);
  });

  it('cuts what follows the last closing tag before the text is sent back', () => {
    assert.equal(trimAfterLastTag('a</think><python>x</python>\n<result>{}'), 'a</think><python>x</python>');
    assert.equal(trimAfterLastTag('no tags'), 'no tags');
  });
});

describe('observations and filters', () => {
  it('wraps results and errors in the trained text and truncates with a visible marker', () => {
    assert.equal(successObservation("{'a': 1}", 100), "<result>\n{'a': 1}\n</result>");
    assert.equal(
      errorObservation("NameError: name 'x' is not defined (line 1)", 100),
      "<result>\n(None, {NameError: name 'x' is not defined (line 1)})\n</result>",
    );
    assert.equal(
      successObservation('x'.repeat(30), 10),
      `<result>\n${'x'.repeat(10)}…[truncated: 20 more characters; read less at once]\n</result>`,
    );
    assert.match(formatErrorObservation('Bad.'), /^<result>\n\(None, \{FormatError: Bad\. A turn is either/);
  });

  it('parses .filters lines and appends the filter block only when there are rules', () => {
    assert.deepEqual(parseRules('- no ages\n\n# comment\n2. only names\n* no e-mails\n'), [
      'no ages',
      'only names',
      'no e-mails',
    ]);
    assert.equal(questionWithFilters('Q?', []), 'Q?');
    assert.equal(questionWithFilters('Q?', ['no ages']), 'Q?\n\n<filter>\n- no ages\n</filter>');
  });

  it('redacts only what the rules speak of, plus the configured patterns', () => {
    const reply = 'Ana is 34 years old, mail ana@x.org, phone +351 912 345 678, badge B-1234.';
    assert.deepEqual(redactReply(reply, [], []), { reply, redactions: 0 });
    assert.equal(
      redactReply(reply, ['do not reveal ages', 'no e-mail addresses', 'never share phone numbers'], ['B-\\d{4}'])
        .reply,
      'Ana is [redacted], mail [redacted], phone [redacted], badge [redacted].',
    );
  });

  it('redacts hostile replies in linear time (no backtracking blow-up in the built-in patterns)', () => {
    const rules = ['do not reveal ages', 'no e-mail addresses', 'never share phone numbers'];
    const hostile: [string, (n: number) => string][] = [
      ['word run', (n) => 'a'.repeat(n)],
      ['dotted run before @', (n) => `${'a.'.repeat(n / 2)}@`],
      ['dashed domain', (n) => `x@${'b-'.repeat(n / 2)}`],
      ['age then blanks', (n) => `age${' '.repeat(n)}x`],
      ['digit then blanks', (n) => `1${' '.repeat(n)}x`],
      ['digits then brackets', (n) => `${'1'.repeat(6)}${'('.repeat(n)}`],
    ];
    for (const [label, build] of hostile) {
      assert.equal(redactReply(build(12_500), rules, []).redactions, 0, label);
      assertLinearCost(
        label,
        (scale) => build(25_000 * scale),
        (reply) => redactReply(reply, rules, []),
      );
    }
    const { reply } = redactReply('aged: 41, aged 7, mail a.b+c@mail.example.org.', rules, []);
    assert.equal(reply, '[redacted], [redacted], mail [redacted].');
  });
});

function problem(text: string): string {
  const turn = parseAgentTurn(text);
  assert.equal(turn.kind, 'format_error');
  return turn.kind === 'format_error' ? turn.problem : '';
}
