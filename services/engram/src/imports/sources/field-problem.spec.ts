import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { fieldProblem } from './field-problem';

/** The reason a value fails `shape` with, as an import lists it. */
function reason(shape: z.ZodType, value: unknown): string {
  const parsed = shape.safeParse(value);
  assert.ok(!parsed.success, `${JSON.stringify(value)} was expected not to fit`);
  return fieldProblem(parsed.error, value);
}

describe('why an item does not fit, in the words of the export it came from', () => {
  const Memory = z.looseObject({
    content: z.string().refine((text) => text.trim() !== '', 'content is empty'),
    tags: z.union([z.array(z.string()), z.string()]).nullish(),
    created_at: z.number().int().positive().max(100, 'epoch milliseconds above 100 are past the valid date range'),
    memory_type: z
      .string()
      .regex(/^[a-z]+$/, 'memory_type is a word of letters')
      .optional(),
  });
  const memory = (fields: Record<string, unknown>) => ({ content: 'x', created_at: 1, ...fields });

  it('names the field by its key and says what it holds against what was expected, not zod\'s "expected string, received number"', () => {
    assert.equal(reason(Memory, memory({ content: 12 })), '"content" is a number, expected text');
    assert.equal(reason(Memory, { created_at: 1 }), '"content" is missing, expected text');
    assert.equal(reason(Memory, memory({ content: null })), '"content" is null, expected text');
    assert.equal(reason(Memory, memory({ content: ['a'] })), '"content" is a list, expected text');
    assert.equal(reason(Memory, 5), 'it is a number, expected an object');
    assert.equal(reason(Memory, 'a memory'), 'it is text, expected an object');
  });

  it("says a refinement's own words once, after the field's name", () => {
    assert.equal(reason(Memory, memory({ content: '  ' })), '"content" is empty');
  });

  it("shows the number itself when the number is what is wrong, with the limit or the schema's reason", () => {
    assert.equal(reason(Memory, memory({ created_at: 1.5 })), '"created_at" is 1.5, expected a whole number');
    assert.equal(reason(Memory, memory({ created_at: -5 })), '"created_at" is -5, expected above 0');
    assert.equal(
      reason(Memory, memory({ created_at: 500 })),
      '"created_at" is 500: epoch milliseconds above 100 are past the valid date range',
    );
    assert.equal(
      reason(Memory, memory({ memory_type: 'Big Type!' })),
      '"memory_type" is "Big Type!", expected a word of letters',
    );
  });

  it('for a field of two kinds, names both, or goes into the kind it is when the problem is inside it', () => {
    assert.equal(reason(Memory, memory({ tags: 3 })), '"tags" is a number, expected a list or text');
    assert.equal(reason(Memory, memory({ tags: ['a', 7] })), '"tags" → entry 2 is a number, expected text');
  });

  it('walks nested objects, keyed maps and lists by their keys, counting entries from 1', () => {
    const Conversation = z.looseObject({
      mapping: z.record(
        z.string(),
        z.looseObject({ message: z.looseObject({ author: z.looseObject({ role: z.string() }) }) }),
      ),
      chat_messages: z.array(z.looseObject({ sender: z.string() })).optional(),
    });
    assert.equal(
      reason(Conversation, { mapping: { a1: { message: { author: {} } } } }),
      '"mapping" → "a1" → "message" → "author" → "role" is missing, expected text',
    );
    assert.equal(
      reason(Conversation, { mapping: {}, chat_messages: [{ sender: 'human' }, { sender: 7 }] }),
      '"chat_messages" → entry 2 → "sender" is a number, expected text',
    );
    assert.equal(reason(Conversation, { mapping: [] }), '"mapping" is a list, expected an object');
  });

  it('reads only what the item holds: a key such as "constructor" is missing, not inherited', () => {
    assert.equal(reason(z.looseObject({ constructor: z.string() }), {}), '"constructor" is missing, expected text');
  });

  it("lists the values a field may take (a graph line's type), and an empty name as empty", () => {
    const Line = z.discriminatedUnion('type', [
      z.looseObject({ type: z.literal('entity'), name: z.string().min(1) }),
      z.looseObject({ type: z.literal('relation') }),
    ]);
    assert.equal(reason(Line, { type: 'node' }), '"type" is "node", expected "entity" or "relation"');
    assert.equal(reason(Line, {}), '"type" is missing, expected "entity" or "relation"');
    assert.equal(reason(Line, { type: 'entity', name: '' }), '"name" is empty');
    assert.equal(reason(z.object({ kind: z.literal('a') }), { kind: 'b' }), '"kind" is "b", expected "a"');
  });

  it('cuts a long value it quotes', () => {
    const long = 'x'.repeat(10_000);
    const said = reason(z.object({ kind: z.literal('a') }), { kind: long });
    assert.equal(said, `"kind" is "${'x'.repeat(40)}…", expected "a"`);
  });
});
