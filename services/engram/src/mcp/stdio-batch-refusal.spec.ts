import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { assertLinearCost } from '../testing/linear-cost';
import { BatchRefusingLines, STDIO_BATCH_REFUSED } from './stdio-batch-refusal';

/** Feeds `text` to a BatchRefusingLines in chunks of `size` bytes; answers the lines let through and the refusals. */
function feed(text: string, size: number) {
  const refused: JSONRPCMessage[][] = [];
  const passed: string[] = [];
  const lines = new BatchRefusingLines((answers) => refused.push(answers));
  lines.push = (line: Buffer | null) => {
    if (line !== null) passed.push(line.toString('utf8'));
    return true;
  };
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += size) lines._transform(bytes.subarray(at, at + size), 'utf8', () => {});
  lines._flush(() => {});
  return { passed, refused };
}

describe('BatchRefusingLines (stdio input on its way to the SDK)', () => {
  const ping = '{"jsonrpc":"2.0","id":1,"method":"ping"}\n';
  const batch = '[{"jsonrpc":"2.0","id":2,"method":"tools/list"},{"jsonrpc":"2.0","method":"notifications/x"}]\n';

  it('lets every other line through whole and answers a batch line, however the chunks cut them', () => {
    for (const size of [1, 7, 64, 4096]) {
      const { passed, refused } = feed(ping + batch + ping + '{"unended":', size);
      assert.deepEqual(passed, [ping, ping, '{"unended":'], `chunks of ${size}`);
      assert.deepEqual(
        refused.map((answers) => answers.map((answer) => ('id' in answer ? answer.id : undefined))),
        [[2]],
      );
      assert.equal((refused[0][0] as { error: { message: string } }).error.message, STDIO_BATCH_REFUSED);
    }
  });

  it('costs a long line arriving in small chunks its length, not its length times the chunks', () => {
    const line = (scale: number) =>
      `{"jsonrpc":"2.0","method":"x","params":{"p":"${'a'.repeat(scale * 64 * 1024)}"}}\n`;
    assertLinearCost('a line in 64-byte chunks', line, (text) => void feed(text, 64));
  });
});
