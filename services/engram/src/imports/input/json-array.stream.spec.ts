import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
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
});
