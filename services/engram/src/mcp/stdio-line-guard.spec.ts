import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { assertLinearCost } from '../testing/linear-cost';
import {
  STDIO_BATCH_REFUSED,
  STDIO_NOT_A_MESSAGE,
  STDIO_NOT_JSON,
  StdioLineGuard,
  stdioLineTooLong,
} from './stdio-line-guard';

/** Feeds `text` to a StdioLineGuard in chunks of `size` bytes; answers the lines let through and the answers. */
function feed(text: string, size: number, maxLineBytes = 1024 * 1024) {
  const answered: JSONRPCMessage[][] = [];
  const passed: string[] = [];
  const lines = new StdioLineGuard(maxLineBytes, (answers) => answered.push(answers));
  lines.push = (line: Buffer | null) => {
    if (line !== null) passed.push(line.toString('utf8'));
    return true;
  };
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += size) lines._transform(bytes.subarray(at, at + size), 'utf8', () => {});
  lines._flush(() => {});
  return { passed, answered };
}

const errorsOf = (answered: JSONRPCMessage[][]) =>
  answered.map((answers) =>
    answers.map((answer) => {
      const { id, error } = answer as unknown as { id: unknown; error: { code: number; message: string } };
      return { id, code: error.code, message: error.message };
    }),
  );

describe('StdioLineGuard (stdio input on its way to the SDK)', () => {
  const ping = '{"jsonrpc":"2.0","id":1,"method":"ping"}\n';
  const batch = '[{"jsonrpc":"2.0","id":2,"method":"tools/list"},{"jsonrpc":"2.0","method":"notifications/x"}]\n';

  it('lets every message line through whole and answers a batch line, however the chunks cut them', () => {
    for (const size of [1, 7, 64, 4096]) {
      const { passed, answered } = feed(ping + batch + ping + '{"unended":', size);
      assert.deepEqual(passed, [ping, ping, '{"unended":'], `chunks of ${size}`);
      assert.deepEqual(errorsOf(answered), [[{ id: 2, code: -32600, message: STDIO_BATCH_REFUSED }]]);
    }
  });

  it('answers a line that is not JSON with a Parse error, and JSON that is no message with an Invalid Request', () => {
    const input = [
      'not json at all',
      '42',
      '{"id":7,"method":"tools/list"}', // no jsonrpc member: the SDK dropped it, leaving id 7 waiting
      '{"jsonrpc":"2.0","id":8}',
      '{"jsonrpc":"2.0","id":9,"result":"late","extra":{"x":', // not JSON either
      '{"jsonrpc":"1.0","id":10,"result":{}}', // a malformed response: JSON-RPC answers none
      '',
    ].join('\n');
    const { passed, answered } = feed(input + ping, 5);
    assert.deepEqual(passed, ['{"jsonrpc":"1.0","id":10,"result":{}}\n', ping]);
    assert.deepEqual(errorsOf(answered), [
      [{ id: null, code: -32700, message: STDIO_NOT_JSON }],
      [{ id: null, code: -32600, message: STDIO_NOT_A_MESSAGE }],
      [{ id: 7, code: -32600, message: STDIO_NOT_A_MESSAGE }],
      [{ id: 8, code: -32600, message: STDIO_NOT_A_MESSAGE }],
      [{ id: null, code: -32700, message: STDIO_NOT_JSON }],
    ]);
  });

  it('skips a line over the limit unread, answering it with the id its first or last bytes show, and reads on', () => {
    const big = 'x'.repeat(5000);
    const idFirst = `{"jsonrpc":"2.0","id":"call-1","method":"tools/call","params":{"text":"${big}"}}\n`;
    const idLast = `{"method":"tools/call","params":{"text":"${big}","id":99},"jsonrpc":"2.0","id":12}\n`;
    const noId = `{"method":"tools/call","params":{"id":5,"text":"${big}"},"jsonrpc":"2.0"}\n`;
    for (const size of [3, 1000, 100_000]) {
      const { passed, answered } = feed(idFirst + ping + idLast + noId + ping + idFirst.trimEnd(), size, 4096);
      assert.deepEqual(passed, [ping, ping], `chunks of ${size}`);
      const tooLong = stdioLineTooLong(4096);
      assert.deepEqual(errorsOf(answered), [
        [{ id: 'call-1', code: -32600, message: tooLong }],
        [{ id: 12, code: -32600, message: tooLong }],
        [{ id: null, code: -32600, message: tooLong }],
        [{ id: 'call-1', code: -32600, message: tooLong }],
      ]);
    }
  });

  it('reads a line of exactly the limit', () => {
    const line = `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"p":"${'a'.repeat(100)}"}}`;
    assert.deepEqual(feed(`${line}\n`, 16, Buffer.byteLength(line)).passed, [`${line}\n`]);
    assert.equal(feed(`${line}\n`, 16, Buffer.byteLength(line) - 1).passed.length, 0);
  });

  it('costs a long line arriving in small chunks its length, not its length times the chunks', () => {
    const line = (scale: number) =>
      `{"jsonrpc":"2.0","method":"x","params":{"p":"${'a'.repeat(scale * 64 * 1024)}"}}\n`;
    assertLinearCost('a line in 64-byte chunks', line, (text) => void feed(text, 64, 64 * 1024 * 1024));
    assertLinearCost('a skipped line in 64-byte chunks', line, (text) => void feed(text, 64, 1024));
  });
});
