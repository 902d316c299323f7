import type { StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import { z } from 'zod';

type JsonSchema = Record<string, unknown>;

/** Keywords whose value is one subschema, a map of them, or a list of them (JSON Schema 2020-12). */
const ONE = ['items', 'contains', 'not', 'propertyNames', 'if', 'then', 'else', 'additionalProperties'];
const MAP = ['properties', 'patternProperties', '$defs', 'dependentSchemas'];
const LIST = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];

/**
 * The JSON Schema of a zod schema, rewritten so clients that map tool schemas onto narrower dialects
 * (single `type` per node, no empty schemas) read it as written, while it accepts exactly the same values:
 * - `type: ["number", "null"]` (zod's `.nullable()`) becomes `anyOf` of one-type branches;
 * - `additionalProperties: {}` (zod's `z.record(z.string(), z.unknown())`) becomes `true`.
 * These are what the MCP Inspector's schema-portability check reports.
 */
export function portableJsonSchema(schema: JsonSchema): JsonSchema {
  return rewrite(schema);
}

function rewrite(node: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...node };
  for (const key of ONE) {
    const child = out[key];
    if (key === 'additionalProperties' && isEmptySchema(child)) out[key] = true;
    else if (isSchema(child)) out[key] = rewrite(child);
  }
  for (const key of MAP) {
    const children = out[key];
    if (isSchema(children)) {
      out[key] = Object.fromEntries(
        Object.entries(children).map(([name, child]) => [name, isSchema(child) ? rewrite(child) : child]),
      );
    }
  }
  for (const key of LIST) {
    const children = out[key];
    if (Array.isArray(children)) out[key] = children.map((child) => (isSchema(child) ? rewrite(child) : child));
  }
  if (Array.isArray(out.type)) {
    const { type, ...rest } = out;
    const branches = (type as string[]).map((one) => ({ type: one }));
    return branches.length === 1 ? { ...rest, ...branches[0] } : { ...rest, anyOf: branches };
  }
  return out;
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{}`: accepts anything, which `true` says in the spelling every client understands. */
function isEmptySchema(value: unknown): boolean {
  return isSchema(value) && Object.keys(value).length === 0;
}

/**
 * A zod schema as the MCP SDK consumes it (Standard Schema with JSON Schema): validation stays zod's
 * (defaults, transforms and messages unchanged), the advertised JSON Schema is the portable one, and it
 * is computed once per process instead of on every tools/list and tools/call of every per-request server.
 */
export function portableSchema<Schema extends z.ZodType>(
  schema: Schema,
): StandardSchemaWithJSON<z.input<Schema>, z.output<Schema>> {
  const cache = new Map<string, JsonSchema>();
  const convert = (io: 'input' | 'output', target: string) => {
    const key = `${io}:${target}`;
    let json = cache.get(key);
    if (!json) {
      const converted = schema['~standard'].jsonSchema[io]({ target: target as 'draft-2020-12' });
      json = portableJsonSchema(converted);
      cache.set(key, json);
    }
    return json;
  };
  return {
    '~standard': {
      version: 1,
      vendor: 'engram',
      validate: (value) => schema['~standard'].validate(value),
      jsonSchema: {
        input: ({ target }) => convert('input', target),
        output: ({ target }) => convert('output', target),
      },
    },
  } as StandardSchemaWithJSON<z.input<Schema>, z.output<Schema>>;
}
