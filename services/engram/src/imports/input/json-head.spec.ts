import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertLinearCost } from '../../testing/linear-cost';
import { ANY_KEY, ELEMENT, JsonHead } from './json-head';

const head = (text: string) => JsonHead.of(Buffer.from(text));

describe('JsonHead: the keys the start of a JSON document shows, each at its depth', () => {
  it('places each key at the path of its object, escaped keys decoded, string values kept', () => {
    const json = head(
      '\ufeff{"export_metadata": {"n": [1, -2.5e3, true, null]}, "memories": [{"content": "a \\"quoted\\" text", "content\\u005fhash": "h1"}',
    );
    assert.ok(json.has([], 'export_metadata'));
    assert.ok(json.has(['export_metadata'], 'n'));
    assert.ok(json.has(['memories', ELEMENT], 'content'));
    assert.ok(json.has(['memories', ELEMENT], 'content_hash', 'h1'));
    assert.ok(!json.has([ELEMENT], 'content_hash'), 'a bare array is another place');
    assert.ok(!json.has(['memories', ELEMENT], 'content_hash', 'h2'));
    assert.ok(head('[{"mapping": {"id-1": {"children": []}}}]').has([ELEMENT, 'mapping', ANY_KEY], 'children'));
  });

  it('never takes a key from inside a string, and stops at the first value, a break in the grammar or the cut', () => {
    assert.ok(!head('[{"text": "{\\"content_hash\\": \\"h\\"}"}]').has([ELEMENT], 'content_hash'));
    assert.ok(!head('[{"text": "x"}]\n[{"content_hash": "h"}]').has([ELEMENT], 'content_hash'), 'a second value');
    assert.ok(!head('# Notes\n{"content_hash": "h"}').has([], 'content_hash'), 'not JSON');
    assert.ok(!head('[{"text": "he said "hi", "content_hash": "h"}]').has([ELEMENT], 'content_hash'), 'a stray quote');
    const cut = head('[{"uuid": "u1", "chat_messages": [{"text": "a long message cut by the he');
    assert.ok(cut.has([ELEMENT], 'chat_messages'), 'keys before the cut count');
    assert.ok(!cut.has([ELEMENT, 'chat_messages', ELEMENT], 'sender'));
  });

  it('reads in time linear in the bytes, whatever their shape', () => {
    const shapes: [string, (n: number) => string][] = [
      ['many keys', (n) => `{${Array.from({ length: n * 50 }, (_, i) => `"k${i}": [${i}]`).join(', ')}}`],
      ['deep nesting', (n) => `${'{"a": ['.repeat(n * 200)}1`],
      ['long keys under deep paths', (n) => `${`{"${'k'.repeat(300)}": `.repeat(8)}[${'"x", '.repeat(n * 200)}1]`],
      ['escapes in a long string', (n) => `[{"text": "${'\\"\\\\'.repeat(n * 500)}", "content_hash": "h"}]`],
    ];
    for (const [label, build] of shapes) assertLinearCost(label, build, (text) => void JsonHead.of(Buffer.from(text)));
  });
});
