import { applyDecorators, Body, Query } from '@nestjs/common';
import { ApiBody, ApiQuery, ApiResponse } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodValidationPipe } from './zod-validation.pipe';

type JsonSchema = Record<string, unknown>;

/** The OpenAPI schema of what a client sends, generated from the same zod schema that validates it. */
export function openApiSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  return json;
}

/**
 * The request body, validated by the zod schema (400 naming each problem) and documented from the same
 * schema: a route names its body schema once. `optional`: a request without a body is read as `{}`; a
 * body of JSON `null` is still refused, as for any other route.
 */
export function ZodBody(schema: z.ZodType, options: { optional?: boolean } = {}): ParameterDecorator {
  const validated = options.optional ? z.preprocess((body) => (body === undefined ? {} : body), schema) : schema;
  return (target, method, index) => {
    Body(new ZodValidationPipe(validated, 'body'))(target, method, index);
    const documented = ApiBody({ schema: openApiSchema(schema) as never, required: !options.optional });
    decorateMethod(target, method, documented);
  };
}

/** The query string, validated by the zod schema and documented from it, one parameter per field. */
export function ZodQuery(schema: z.ZodType): ParameterDecorator {
  return (target, method, index) => {
    Query(new ZodValidationPipe(schema, 'query'))(target, method, index);
    decorateMethod(target, method, ApiZodQuery(schema));
  };
}

/** Applies a method decorator from a parameter decorator of that method. */
function decorateMethod(target: object, method: string | symbol | undefined, decorator: MethodDecorator): void {
  if (method === undefined) throw new Error('ZodBody and ZodQuery decorate method parameters only');
  decorator(target, method, Object.getOwnPropertyDescriptor(target, method)!);
}

/** One documented query parameter per field of the zod object that validates the query string. */
function ApiZodQuery(schema: z.ZodType): MethodDecorator {
  const json = openApiSchema(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  const required = new Set(json.required ?? []);
  return applyDecorators(
    ...Object.entries(json.properties ?? {}).map(([name, property]) =>
      ApiQuery({ name, required: required.has(name), schema: property as never }),
    ),
  );
}

/** Documents the error statuses a route can answer, all with the common error body. */
export function ApiErrors(...statuses: number[]): MethodDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: ERROR_DESCRIPTIONS[status] ?? 'Error', schema: ERROR_BODY_SCHEMA as never }),
    ),
  );
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (the message names each problem)',
  401: 'Missing or wrong API key',
  404: 'No such memory',
  409: 'Duplicate content',
  413: 'Content, metadata or body larger than the configured limit',
  415: 'Unsupported content type (send application/json)',
  422: 'Well-formed but unprocessable (e.g. an empty time range)',
  503: 'Embedding provider unavailable',
};

const ERROR_BODY_SCHEMA = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', description: 'Stable machine-readable code' },
    message: { type: 'string', description: 'What went wrong, for people' },
    details: { description: 'Structured details, e.g. validation issues' },
  },
};
