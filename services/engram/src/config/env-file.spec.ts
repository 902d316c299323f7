import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseEnvFile } from './env-file';

describe('parseEnvFile', () => {
  it('reads what dotenv files hold: comments, export, spaces, quotes, inline comments, multi-line values', () => {
    const text = [
      '# settings',
      'A=1',
      '  B = two words  ',
      'export C=3',
      '\tD=4',
      'E="quoted # kept"',
      "F='line one",
      "line two'",
      'G=7 # a comment',
      'H=',
      '',
    ].join('\n');
    assert.deepEqual(parseEnvFile(text), {
      values: { A: '1', B: 'two words', C: '3', D: '4', E: 'quoted # kept', F: 'line one\nline two', G: '7', H: '' },
      problems: [],
    });
  });

  it('names the line that is not NAME=value, without echoing it, instead of losing the next entry', () => {
    const { values, problems } = parseEnvFile('A=1\nsk-secret-pasted-alone\nMCP_API_KEY=key\n1BAD=2\nA-B=3\nlonely');
    assert.deepEqual(values, {});
    assert.deepEqual(problems, [
      'line 2 is not NAME=value (a name of letters, digits and _, then =)',
      'line 4 is not NAME=value (a name of letters, digits and _, then =)',
      'line 5 is not NAME=value (a name of letters, digits and _, then =)',
      'line 6 is not NAME=value (a name of letters, digits and _, then =)',
    ]);
    assert.doesNotMatch(problems.join('\n'), /secret/);
  });

  it('refuses a # inside an unquoted value, which would cut it short, and an opening quote never closed', () => {
    assert.deepEqual(parseEnvFile('MCP_API_KEY=abc#def\nB="open\nC=3').problems, [
      "line 1: MCP_API_KEY's value holds a # that would end it; put the value in quotes",
      'line 2: B\'s opening " is never closed',
    ]);
  });

  it('reads Windows line ends', () => {
    assert.deepEqual(parseEnvFile('A=1\r\nB=2\r\n').values, { A: '1', B: '2' });
  });
});
