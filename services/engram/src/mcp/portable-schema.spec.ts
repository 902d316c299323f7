import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv';
import { z } from 'zod';
import { AgentService } from '../agent/agent.service';
import { portableJsonSchema, portableSchema } from './portable-schema';
import { agentTools } from './tools/agent.tools';
import { connectorTools } from './tools/connector.tools';
import { legacyTools } from './tools/legacy.tools';
import { memoryTools } from './tools/memory.tools';
import { statusTools } from './tools/status.tools';
import { ToolDeps } from './tools/tool-deps';

type Json = Record<string, unknown>;
const TARGET = { target: 'draft-2020-12' as const };
const deps = {} as ToolDeps;
const tools = [
  ...memoryTools(deps),
  ...statusTools(deps),
  ...agentTools({} as AgentService),
  ...legacyTools(deps),
  ...connectorTools(deps),
];

/** The two things the MCP Inspector's portability check reported (23 times) before. */
function unportable(node: unknown, path = ''): string[] {
  if (typeof node !== 'object' || node === null) return [];
  const schema = node as Json;
  const found = Array.isArray(schema.type) ? [`${path}: type ${JSON.stringify(schema.type)}`] : [];
  if (isEmpty(schema.additionalProperties)) found.push(`${path}.additionalProperties: {}`);
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'enum' || key === 'const' || key === 'default') continue;
    if (Array.isArray(value)) value.forEach((item, i) => found.push(...unportable(item, `${path}.${key}[${i}]`)));
    else found.push(...unportable(value, `${path}.${key}`));
  }
  return found;
}

const isEmpty = (value: unknown) => typeof value === 'object' && value !== null && Object.keys(value).length === 0;

function accepts(schema: Json, value: unknown): boolean {
  return new AjvJsonSchemaValidator().getValidator(schema)(value).valid;
}

describe('portable tool schemas', () => {
  it('advertise no type arrays and no empty additionalProperties in any tool input or output schema', () => {
    const findings = tools.flatMap((tool) => [
      ...unportable(portableSchema(tool.input)['~standard'].jsonSchema.input(TARGET), `${tool.name}.input`),
      ...('output' in tool
        ? unportable(portableSchema(tool.output)['~standard'].jsonSchema.output(TARGET), `${tool.name}.output`)
        : []),
    ]);
    assert.deepEqual(findings, []);
    // The zod schemas themselves still produce them: the rewrite is what removes them.
    const raw = tools.flatMap((tool) =>
      'output' in tool ? unportable(tool.output['~standard'].jsonSchema.output(TARGET)) : [],
    );
    assert.ok(raw.length > 0);
  });

  it('accept exactly what the zod-produced schema accepts', () => {
    const shape = z.object({
      score: z.number().nullable(),
      when: z.string().nullable().optional(),
      metadata: z.record(z.string(), z.unknown()),
      nested: z.array(z.object({ value: z.number().nullable() })),
    });
    const original = shape['~standard'].jsonSchema.output(TARGET) as Json;
    const portable = portableJsonSchema(original);
    const samples = [
      { score: 1, metadata: {}, nested: [] },
      { score: null, when: null, metadata: { any: [1, 'two', null, { deep: true }] }, nested: [{ value: null }] },
      { score: 'high', metadata: {}, nested: [] },
      { score: 1, metadata: 'not an object', nested: [] },
      { score: 1, metadata: {}, nested: [{ value: 'x' }] },
      { score: 1, when: 5, metadata: {}, nested: [] },
    ];
    for (const sample of samples) {
      assert.equal(accepts(portable, sample), accepts(original, sample), JSON.stringify(sample));
    }
    assert.deepEqual(
      samples.map((sample) => accepts(portable, sample)),
      [true, true, false, false, false, false],
    );
  });

  it('keeps zod validation, with its defaults and transforms, and converts once', () => {
    const input = z.object({ mode: z.enum(['a', 'b']).default('a'), tags: z.string().transform((t) => t.split(',')) });
    const schema = portableSchema(input);
    const result = schema['~standard'].validate({ tags: 'x,y' }) as { value: unknown };
    assert.deepEqual(result.value, { mode: 'a', tags: ['x', 'y'] });
    assert.equal(schema['~standard'].jsonSchema.input(TARGET), schema['~standard'].jsonSchema.input(TARGET));
  });
});
