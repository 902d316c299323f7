import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { assertLinearCostAsync } from '../../testing/linear-cost';
import { isUnreadable, MAX_ELEMENT_BYTES, readJsonArray } from './json-array.stream';

/**
 * Streams `head`, then `size` bytes of `fill` made on the fly in 1 MiB chunks (no fixture, no big
 * buffer), then `tail` through readJsonArray in a worker thread whose heap is capped at 48 MiB: a
 * scanner that buffers what it reads dies there with ERR_WORKER_OUT_OF_MEMORY.
 */
function readInSmallHeap(
  head: string,
  fill: string,
  size: number,
  tail: string,
  options: { key?: string; maxElementBytes?: number },
): Promise<{ values: unknown[]; error?: string }> {
  // Each element's value, or what made it unreadable.
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { Readable } = require('node:stream');
    const { readJsonArray } = require(workerData.module);
    const { head, fill, size, tail, options } = workerData;
    const chunk = Buffer.alloc(1024 * 1024, fill);
    const stream = Readable.from((function* () {
      yield Buffer.from(head);
      for (let left = size; left > 0; left -= chunk.length) yield left >= chunk.length ? chunk : chunk.subarray(0, left);
      yield Buffer.from(tail);
    })());
    (async () => {
      const values = [];
      try {
        for await (const element of readJsonArray(stream, 'huge.json', options)) {
          values.push('reason' in element ? { unreadable: element.reason, index: element.index, line: element.line } : element.value);
        }
        parentPort.postMessage({ values });
      } catch (error) {
        parentPort.postMessage({ values, error: error.message });
      }
    })();`;
  const worker = new Worker(code, {
    eval: true,
    workerData: { module: require.resolve('./json-array.stream'), head, fill, size, tail, options },
    resourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 },
  });
  return new Promise((resolve, reject) => {
    worker.once('message', (result) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

async function elements(chunks: (string | Buffer)[], key?: string) {
  const found = [];
  for await (const element of readJsonArray(Readable.from(chunks.map((chunk) => Buffer.from(chunk))), 'test.json', {
    key,
  })) {
    found.push(element);
  }
  return found;
}

/** The same text cut into pieces of every small size, so no boundary goes untested. */
function cuts(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}

describe('streaming the elements of a JSON array', () => {
  const text = '\ufeff[ {"a": "x]}\\"", "b": [1, {"c": null}]},\n 2, "three", [4], true, {"ü": "é"} ]\n';
  const expected = [{ a: 'x]}"', b: [1, { c: null }] }, 2, 'three', [4], true, { ü: 'é' }];

  it('yields every element whatever the chunk boundaries (strings with brackets, escapes, UTF-8, BOM)', async () => {
    for (const size of [1, 2, 3, 7, 1000]) {
      const found = await elements(cuts(text, size));
      assert.deepEqual(
        found.map((element) => !isUnreadable(element) && element.value),
        expected,
        `chunks of ${size}`,
      );
    }
  });

  it('finds the array under a key of the top-level object (MCP Memory Service export)', async () => {
    const doc =
      '{"export_metadata": {"memories": "no", "total": 2}, "memories": [{"content": "one"}, {"content": "two"}], "x": [9]}';
    for (const size of [1, 5, 1000]) {
      const found = await elements(cuts(doc, size), 'memories');
      assert.deepEqual(
        found.map((element) => !isUnreadable(element) && element.value),
        [{ content: 'one' }, { content: 'two' }],
      );
    }
  });

  it('reads past an element that is not valid JSON or not UTF-8, naming its number and line', async () => {
    const found = await elements(['[\n{"a": 1},\n{"a": tru},\n"caf', Buffer.from([0xe9]), '", {"a": [2, "]"]}\n]']);
    // JSON.parse's own words follow the colon.
    const reasonFirstWords = found.map((element) =>
      isUnreadable(element) ? { ...element, reason: element.reason.split(':')[0] } : element,
    );
    assert.deepEqual(reasonFirstWords, [
      { value: { a: 1 }, index: 0, line: 2 },
      { reason: 'not valid JSON', index: 1, line: 3 },
      { reason: 'not valid UTF-8', index: 2, line: 4 },
      { value: { a: [2, ']'] }, index: 3, line: 4 },
    ]);
  });

  it('keeps what a file cut short held, and reports the cut as one unreadable element', async () => {
    assert.deepEqual(await elements(['[{"a": 1},\n {"b": ']), [
      { value: { a: 1 }, index: 0, line: 1 },
      { reason: 'the file ends inside it (truncated?)', index: 1, line: 2 },
    ]);
    assert.deepEqual(await elements(['{"memories": [{"a": 1}], "more": {'], 'memories'), [
      { value: { a: 1 }, index: 0, line: 1 },
      { reason: 'the file ends in the middle of the JSON document (truncated?)' },
    ]);
  });

  it('refuses a file whose structure cannot be followed: garbage, empty, a wrong top level, cut before its array', async () => {
    await assert.rejects(elements(['{"memories": {"a": [1, 2'], 'memories'), /ends in the middle of the JSON document/);
    await assert.rejects(elements([Buffer.from([0x00, 0xff, 0x13, 0x37])]), /malformed JSON at line 1, column 1/);
    await assert.rejects(elements([]), /holds no JSON/);
    await assert.rejects(elements(['{"a": 1}']), /expected an array at the top level/);
    await assert.rejects(elements(['{"other": []}'], 'memories'), /has no "memories" array/);
    await assert.rejects(elements(['[1] [2]']), /unexpected content after the end/);
  });

  it('keeps the heap bounded on a 256 MB top-level string value (scanned past, never buffered)', async () => {
    const outcome = await readInSmallHeap(
      '{"export": "',
      'a',
      256 * 1024 * 1024,
      '", "memories": [{"content": "one"}]}',
      {
        key: 'memories',
      },
    );
    assert.deepEqual(outcome, { values: [{ content: 'one' }] });
  });

  it('scans past an element over the per-element limit without keeping it, names it, and reads on', async () => {
    assert.ok(MAX_ELEMENT_BYTES <= 64 * 1024 * 1024, 'the default limit keeps one element far below the heap');
    const outcome = await readInSmallHeap(
      '[\n{"content": "ok"},\n"',
      'b',
      40 * 1024 * 1024,
      '", {"content": "after"}]',
      {
        maxElementBytes: 8 * 1024 * 1024,
      },
    );
    assert.deepEqual(outcome, {
      values: [{ content: 'ok' }, { unreadable: 'larger than 8388608 bytes', index: 1, line: 3 }, { content: 'after' }],
    });
  });

  /** Each element's value, or what made it unreadable, in the order read. */
  async function outcome(text: string, chunkSize: number, key?: string) {
    const found = await elements(cuts(text, chunkSize), key);
    return found.map((element) =>
      isUnreadable(element) ? { failed: element.reason, line: element.line } : element.value,
    );
  }

  /** Line and column (1-based, as the failure names them) of the `nth` occurrence of `marker`'s first byte. */
  function where(text: string, marker: string, nth = 1): string {
    let at = -1;
    for (let i = 0; i < nth; i++) at = text.indexOf(marker, at + 1);
    const before = text.slice(0, at);
    return `line ${before.split('\n').length}, column ${at - before.lastIndexOf('\n')}`;
  }

  const strayQuote = (text: string, marker: string, nth = 1) =>
    `not valid JSON: a quote inside a text is not escaped (or a bracket is out of place) at ${where(text, marker, nth)}`;

  it('a quote left unescaped inside a text costs only its element, named by that quote, whatever follows it and however the file is cut', async () => {
    const cases: [string, string][] = [
      // [the broken element's content as written in the file, where its first stray quote is]
      ['he said "hi" to me', '"hi'],
      ['he said "hi to me', '"hi'],
      ['he said "hi", then left', '"hi'],
      ['he said "hi", "bye" and left', '"hi'],
      ['he wrote "} then left', '"} then'],
      ['x "[ y', '"['],
      ['"', '""}'],
    ];
    for (const [content, marker] of cases) {
      const text = `[{"content": "one"}, {"content": "${content}"}, {"content": "three"}, {"content": "four"}]`;
      for (const size of [1, 3, 1000]) {
        assert.deepEqual(
          await outcome(text, size),
          [
            { content: 'one' },
            { failed: strayQuote(text, marker), line: 1 },
            { content: 'three' },
            { content: 'four' },
          ],
          `${content} in chunks of ${size}`,
        );
      }
    }
  });

  it('does so in an indented MCP Memory Service export, in its last element, and in a text the array holds', async () => {
    const exported = [
      '{',
      '  "export_metadata": {"note": "exported with "quotes" in its note"},',
      '  "memories": [',
      '    {"content": "The boat is at pier 4"},',
      '    {"content": "The ferry leaves from "pier 2 at noon"},',
      '    {"content": "Fuel is cheaper on Tuesdays"},',
      '    {"content": "Wrong "to the end"}',
      '  ]',
      '}',
    ].join('\n');
    assert.deepEqual(await outcome(exported, 7, 'memories'), [
      { content: 'The boat is at pier 4' },
      { failed: strayQuote(exported, '"pier 2'), line: 5 },
      { content: 'Fuel is cheaper on Tuesdays' },
      { failed: strayQuote(exported, '"to the end'), line: 7 },
    ]);
    // A stray quote right before `}, ` cannot be told from the element's end: the element ends there,
    // and what is left of it (a text, where the array holds objects) is one failure.
    const text = '[{"c": "a"}, {"c": "cut "}, "b": "c", "id": 1}, {"c": "d"}]';
    assert.deepEqual(await outcome(text, 2), [
      { c: 'a' },
      { c: 'cut ' },
      {
        failed: `not valid JSON: expected "," or "]" after a text at ${where(text, ': "c"')}; skipped to the next element, on line 1`,
        line: 1,
      },
      { c: 'd' },
    ]);
  });

  it('a text whose stray quote comes before "}, {" is cut there, and the rest of it is one failure up to the next element', async () => {
    // `"}, ` after a quote cannot be told from the element's end; the `")"}` left over is read inside
    // out, until the `}, {` before the next element shows where it starts.
    const text = '[{"c": "a"}, {"c": "run print("}, {")"}, {"c": "d"}, {"c": "e"}]';
    assert.deepEqual(await outcome(text, 4), [
      { c: 'a' },
      { c: 'run print(' },
      { failed: strayQuote(text, '"}, {"c": "d'), line: 1 },
      { c: 'd' },
      { c: 'e' },
    ]);
    // A bracket too many after a text is not taken for a quote: the element is one failure.
    const extra = '[{"c": "a"}, {"c": "x"}}, {"c": "d"}]';
    assert.deepEqual(await outcome(extra, 4), [
      { c: 'a' },
      {
        failed: `not valid JSON: expected "," or "]" at ${where(extra, '}, {"c": "d')}; skipped to the next element, on line 1`,
        line: 1,
      },
      { c: 'd' },
    ]);
  });

  it('a break it cannot explain costs its element alone: reading goes on at the next "}, {" at the array\'s own depth, past the objects nested in it', async () => {
    // A missing comma in a Claude conversation, whose messages are objects in a list too.
    const conversation = (id: string, messages: string) => `{"uuid": "${id}", "chat_messages": [${messages}]}`;
    const text = [
      '[',
      `${conversation('a', '{"text": "one"} "sender": "x", {"text": "two"}, {"text": "three"}')},`,
      `${conversation('b', '{"text": "four"}, {"text": "five"}')},`,
      `${conversation('c', '{"text": "six"}')}`,
      ']',
    ].join('\n');
    const read = await outcome(text, 5);
    assert.deepEqual(read, [
      {
        failed: `not valid JSON: expected "," or "]" at ${where(text, '"sender')}; skipped to the next element, on line 3`,
        line: 2,
      },
      { uuid: 'b', chat_messages: [{ text: 'four' }, { text: 'five' }] },
      { uuid: 'c', chat_messages: [{ text: 'six' }] },
    ]);
    // With no element after the break, the rest of the file is that one failure: nothing is refused.
    const last = '[{"c": "a"}, {"c": 1 2}]';
    assert.deepEqual(await outcome(last, 3), [
      { c: 'a' },
      {
        failed: `not valid JSON: expected "," or "}" at ${where(last, '2}')}; skipped to the end of the file`,
        line: 1,
      },
    ]);
  });

  it('gives up on an element thrown off by a quote taken as text once it outgrows twice the largest element (at least 64 KiB): the rest of the file is read', async () => {
    // A `{` left out in the first conversation: its key read as a text makes every `"` after it ambiguous,
    // and the conversations after it would all be read as nested in it.
    const conversation = (i: number) =>
      JSON.stringify({
        uuid: `c${i}`,
        chat_messages: [{ text: `${'words '.repeat(300)}${i}`, content: [{ type: 'text', text: 'hi' }] }],
      });
    const conversations = Array.from({ length: 60 }, (_, i) => conversation(i));
    const text = `[${conversations.join(',')}]`.replace('[{"type"', '["type"');
    const read = await elements(cuts(text, 4096));
    assert.ok(read.length < 60 && isUnreadable(read[0]), 'the first conversation is one failure');
    const kept = new Set(
      read.flatMap((element) => (isUnreadable(element) ? [] : [(element.value as { uuid: string }).uuid])),
    );
    const past = 64 * 1024 + 2 * 4096; // the limit, checked once a chunk is read
    conversations.forEach((json, i) => {
      if (text.indexOf(json) > past) assert.ok(kept.has(`c${i}`), `conversation ${i} is read`);
    });
  });

  it('keeps a whole array when what follows it in the top-level object cannot be read, and says so once', async () => {
    const text = '{"memories": [{"c": "a"}, {"c": "b"}], "more": 1 2, "memories_2": [{"c": "x"}]}';
    const found = await elements([text], 'memories');
    assert.deepEqual(found, [
      { value: { c: 'a' }, index: 0, line: 1 },
      { value: { c: 'b' }, index: 1, line: 1 },
      { reason: `malformed JSON after the array, at ${where(text, '2,')}: expected "," or "}"` },
    ]);
  });

  it('reads a hostile file in time linear in its size (stray quotes, boundaries read inside out, breaks, deep nesting)', async () => {
    const hostile: [string, (n: number) => string][] = [
      ['one text full of stray quotes', (n) => `[{"c": "${'a "b '.repeat(n)}"}, {"c": "ok"}]`],
      ['a stray quote in every element', (n) => `[${'{"c": "he said "hi to me"},'.repeat(n)}{}]`],
      ['boundaries read inside out', (n) => `[{"c": "x "${'"}, {"y'.repeat(n)}"}]`],
      ['a break in every element', (n) => `[${'{"a": 1 2}, '.repeat(n)}{}]`],
      ['whitespace looked back over', (n) => `[{"c": "a ${`"} ,${' '.repeat(64)}x`.repeat(n)}"}]`],
      ['deep nesting, then a break', (n) => `[${'{"a": ['.repeat(n)} x ${']}'.repeat(n)}, {"c": "d"}]`],
    ];
    const readAll = async (text: string) => {
      const chunks = cuts(text, 64 * 1024).map((chunk) => Buffer.from(chunk));
      for await (const element of readJsonArray(Readable.from(chunks), 'hostile.json')) void element;
    };
    for (const [label, build] of hostile) await assertLinearCostAsync(label, (scale) => build(2_000 * scale), readAll);
  });
});
