import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChannelMessage, MAX_MESSAGE_MEMBERS, parseChannelMessage } from './channel-message';

const call = (args: unknown[]) => JSON.stringify({ op: 'call', fn: 'create_file', args });

describe('sandbox channel messages', () => {
  it('parses a call whose strings hold any number of brackets, commas and escaped quotes', () => {
    const content = '- [[entities/a.md]], {"x": [1, 2]} \\" \\\\'.repeat(50_000);
    assert.deepEqual(parseChannelMessage(call(['notes.md', content])), {
      op: 'call',
      fn: 'create_file',
      args: ['notes.md', content],
    });
  });

  it('refuses, before parsing, a message of more members than the harness ever sends', () => {
    const numbers = (count: number) => Array.from({ length: count }, () => 0);
    // The object ({ and its two commas) and the args array count too: n numbers make n + 3.
    assert.deepEqual(
      (parseChannelMessage(call(numbers(MAX_MESSAGE_MEMBERS - 3))) as ChannelMessage).args,
      numbers(MAX_MESSAGE_MEMBERS - 3),
    );
    assert.equal(parseChannelMessage(call(numbers(MAX_MESSAGE_MEMBERS - 2))), 'too many members');
    assert.equal(parseChannelMessage(`{"args": [${'0,'.repeat(5_000_000)}0]}`), 'too many members');
  });

  it('answers malformed for anything but a JSON object', () => {
    for (const line of ['not json', '[1]', '"text"', 'null', '{"op": "call"']) {
      assert.equal(parseChannelMessage(line), 'malformed', line);
    }
  });
});
